"""Grafana alerting's webhook payload, validated and turned into
`IncomingAlert`s. Its alerts are Alertmanager's with two more links;
Grafana's own group key is optional. Lenient: fields we do not use are
ignored."""

from __future__ import annotations

from pydantic import Field

from hotwash.alerts.ingest import IncomingAlert
from hotwash.alerts.payloads import AlertmanagerFormatAlert, Labels, Lenient, Status, validate


class GrafanaAlert(AlertmanagerFormatAlert):
    dashboardURL: str = Field("", description="The alert's dashboard.")
    panelURL: str = Field("", description="The alert's panel.")


class GrafanaPayload(Lenient):
    """Grafana alerting's webhook payload."""

    receiver: str = Field("", description="The contact point.")
    status: Status = Field(description="firing while any alert of the group fires.")
    groupKey: str = Field("", description="Identifies the alert group.")
    groupLabels: Labels = Field(default_factory=dict, description="The labels grouped by.")
    commonLabels: Labels = Field(default_factory=dict, description="Labels all alerts share.")
    externalURL: str = Field("", description="Grafana's address.")
    alerts: list[GrafanaAlert] = Field(description="The group's alerts.")


def parse_grafana(body: bytes) -> list[IncomingAlert]:
    payload = validate(GrafanaPayload, body)
    return [
        alert.incoming(
            group_key=payload.groupKey,
            group_labels=payload.commonLabels if payload.groupKey else None,
            link=alert.panelURL or alert.dashboardURL,
        )
        for alert in payload.alerts
    ]

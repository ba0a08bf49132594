"""Grafana alerting's webhook payload, validated and turned into
`IncomingAlert`s. Its alerts are Alertmanager's with two more links;
Grafana's own group key is optional. Lenient: fields we do not use are
ignored."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from hotwash.alerts.ingest import IncomingAlert, fingerprint_of
from hotwash.alerts.models import FINGERPRINT_MAX
from hotwash.alerts.payloads import Labels, Lenient, Status, event_time, validate


class GrafanaAlert(Lenient):
    status: Status = Field(description="firing or resolved.")
    labels: Labels = Field(description="The alert's identifying labels.")
    annotations: Labels = Field(default_factory=dict, description="Summary, description, ...")
    startsAt: datetime = Field(description="When the alert started firing.")
    endsAt: datetime | None = Field(None, description="When it ended (resolved alerts).")
    generatorURL: str = Field("", description="Link to the expression in Prometheus.")
    fingerprint: str = Field(
        "", max_length=FINGERPRINT_MAX, description="Alertmanager's identity of the alert."
    )
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
        IncomingAlert(
            fingerprint=alert.fingerprint or fingerprint_of(alert.labels),
            status=alert.status,
            labels=alert.labels,
            annotations=alert.annotations,
            starts_at=event_time(alert.startsAt),
            ends_at=event_time(alert.endsAt),
            generator_url=alert.panelURL or alert.dashboardURL or alert.generatorURL,
            group_key=payload.groupKey,
            group_labels=payload.commonLabels if payload.groupKey else None,
        )
        for alert in payload.alerts
    ]

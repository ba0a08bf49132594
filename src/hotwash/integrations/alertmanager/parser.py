"""Prometheus Alertmanager's webhook payload (version 4), validated and
turned into `IncomingAlert`s. Lenient: fields added by newer versions are
ignored."""

from __future__ import annotations

from pydantic import Field

from hotwash.alerts.ingest import IncomingAlert
from hotwash.alerts.payloads import AlertmanagerFormatAlert, Labels, Lenient, Status, validate


class AlertmanagerAlert(AlertmanagerFormatAlert):
    # The shared fields are Alertmanager's own; this class keeps its name in
    # the OpenAPI document.
    pass


class AlertmanagerPayload(Lenient):
    """Alertmanager's webhook payload (version 4)."""

    version: str = Field("4", description="Payload version; 4 today.")
    groupKey: str = Field(description="Identifies the alert group.")
    status: Status = Field(description="firing while any alert of the group fires.")
    receiver: str = Field("", description="The receiver's name in alertmanager.yml.")
    groupLabels: Labels = Field(default_factory=dict, description="The labels grouped by.")
    commonLabels: Labels = Field(default_factory=dict, description="Labels all alerts share.")
    commonAnnotations: Labels = Field(default_factory=dict, description="Shared annotations.")
    externalURL: str = Field("", description="Alertmanager's address.")
    truncatedAlerts: int = Field(0, description="Alerts left out by max_alerts.")
    alerts: list[AlertmanagerAlert] = Field(description="The group's alerts.")


def parse_alertmanager(body: bytes) -> list[IncomingAlert]:
    payload = validate(AlertmanagerPayload, body)
    return [
        alert.incoming(group_key=payload.groupKey, group_labels=payload.commonLabels)
        for alert in payload.alerts
    ]

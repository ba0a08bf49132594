"""Prometheus Alertmanager's webhook payload (version 4), validated and
turned into `IncomingAlert`s. Lenient: fields added by newer versions are
ignored."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from hotwash.alerts.ingest import IncomingAlert, fingerprint_of
from hotwash.alerts.models import FINGERPRINT_MAX
from hotwash.alerts.payloads import Labels, Lenient, Status, event_time, validate


class AlertmanagerAlert(Lenient):
    status: Status = Field(description="firing or resolved.")
    labels: Labels = Field(description="The alert's identifying labels.")
    annotations: Labels = Field(default_factory=dict, description="Summary, description, ...")
    startsAt: datetime = Field(description="When the alert started firing.")
    endsAt: datetime | None = Field(None, description="When it ended (resolved alerts).")
    generatorURL: str = Field("", description="Link to the expression in Prometheus.")
    fingerprint: str = Field(
        "", max_length=FINGERPRINT_MAX, description="Alertmanager's identity of the alert."
    )


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
        IncomingAlert(
            fingerprint=alert.fingerprint or fingerprint_of(alert.labels),
            status=alert.status,
            labels=alert.labels,
            annotations=alert.annotations,
            starts_at=event_time(alert.startsAt),
            ends_at=event_time(alert.endsAt),
            generator_url=alert.generatorURL,
            group_key=payload.groupKey,
            group_labels=payload.commonLabels,
        )
        for alert in payload.alerts
    ]

"""Hotwash's own alert format, for anything that can post JSON, validated
and turned into `IncomingAlert`s. The models document the format in the
API document."""

from __future__ import annotations

from pydantic import AwareDatetime, ConfigDict, Field

from hotwash.alerts.ingest import IncomingAlert, fingerprint_of
from hotwash.alerts.models import FINGERPRINT_MAX
from hotwash.alerts.payloads import Labels, Lenient, Status, validate


class _LenientNumbers(Lenient):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class GenericAlert(_LenientNumbers):
    labels: Labels = Field(
        min_length=1,
        description="What the alert is about, e.g. alertname, service, severity. Alerts with "
        "the same labels are the same alert unless you send a fingerprint.",
        examples=[{"alertname": "CheckoutErrors", "service": "shop", "severity": "critical"}],
    )
    status: Status = Field("firing", description="firing (default) or resolved.")
    fingerprint: str | None = Field(
        None,
        min_length=1,
        max_length=FINGERPRINT_MAX,
        description="Your identity for the alert; default: derived from the labels.",
    )
    annotations: Labels = Field(
        default_factory=dict,
        description="Text for people: summary, description, runbook_url, ...",
        examples=[{"summary": "5% of checkouts fail"}],
    )
    starts_at: AwareDatetime | None = Field(
        None, description="When it started, ISO 8601 with a zone; default: now."
    )
    ends_at: AwareDatetime | None = Field(
        None, description="When it ended (resolved alerts); default: now."
    )
    url: str = Field("", description="A link back to the alert in your monitoring system.")
    group_key: str | None = Field(
        None, min_length=1, description="Alerts with the same group key form one group."
    )


class GenericPayload(_LenientNumbers):
    """Hotwash's own alert format, for anything that can post JSON."""

    alerts: list[GenericAlert] = Field(description="One or more alerts.")
    group_key: str | None = Field(
        None,
        min_length=1,
        description="Group key for alerts that carry none. Without any, alerts are grouped "
        "by the source's grouping labels (default: alertname and service).",
    )


def parse_generic(body: bytes) -> list[IncomingAlert]:
    payload = validate(GenericPayload, body)
    return [
        IncomingAlert(
            fingerprint=alert.fingerprint or fingerprint_of(alert.labels),
            status=alert.status,
            labels=alert.labels,
            annotations=alert.annotations,
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
            generator_url=alert.url,
            group_key=alert.group_key or payload.group_key or "",
        )
        for alert in payload.alerts
    ]

"""Each source's payload, validated and turned into `IncomingAlert`s.

The payload models are lenient where the sender is someone else's software
(Alertmanager, Grafana, SNS: fields added by newer versions are ignored) and
document our own generic schema. A payload that is not JSON or misses a
required field is refused with 400 and the field's path
(``alerts[3].labels``), before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from django.utils.translation import gettext as _
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from hotwash.alerts.ingest import FIRING, RESOLVED, IncomingAlert, fingerprint_of
from hotwash.alerts.models import FINGERPRINT_MAX
from hotwash.api.errors import describe_validation_error
from hotwash.core.errors import DomainError

# Alertmanager and Grafana write "no end yet" as Go's zero time.
_NO_TIME_BEFORE = datetime(1971, 1, 1, tzinfo=UTC)


class MalformedAlert(DomainError):
    """The payload is not JSON, or not the shape this endpoint takes."""

    status_code = 400


# Label values are text. Alertmanager and Grafana always send text; our
# generic schema also takes numbers (coerce_numbers_to_str, checked in
# pydantic's Rust core: a Python validator per label cost more than the
# whole database write of a batch).
Labels = dict[str, str]
Status = Literal["firing", "resolved"]


class _Lenient(BaseModel):
    """Someone else's format: fields we do not use are ignored."""

    model_config = ConfigDict(extra="ignore")


# --- Prometheus Alertmanager (webhook version 4) --------------------------------


class AlertmanagerAlert(_Lenient):
    status: Status = Field(description="firing or resolved.")
    labels: Labels = Field(description="The alert's identifying labels.")
    annotations: Labels = Field(default_factory=dict, description="Summary, description, ...")
    startsAt: datetime = Field(description="When the alert started firing.")
    endsAt: datetime | None = Field(None, description="When it ended (resolved alerts).")
    generatorURL: str = Field("", description="Link to the expression in Prometheus.")
    fingerprint: str = Field(
        "", max_length=FINGERPRINT_MAX, description="Alertmanager's identity of the alert."
    )


class AlertmanagerPayload(_Lenient):
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
            starts_at=_time(alert.startsAt),
            ends_at=_time(alert.endsAt),
            generator_url=alert.generatorURL,
            group_key=payload.groupKey,
            group_labels=payload.commonLabels,
        )
        for alert in payload.alerts
    ]


# --- Grafana alerting ---------------------------------------------------------------


class GrafanaAlert(AlertmanagerAlert):
    dashboardURL: str = Field("", description="The alert's dashboard.")
    panelURL: str = Field("", description="The alert's panel.")


class GrafanaPayload(_Lenient):
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
            starts_at=_time(alert.startsAt),
            ends_at=_time(alert.endsAt),
            generator_url=alert.panelURL or alert.dashboardURL or alert.generatorURL,
            group_key=payload.groupKey,
            group_labels=payload.commonLabels if payload.groupKey else None,
        )
        for alert in payload.alerts
    ]


# --- Hotwash's generic schema -----------------------------------------------------------


class _LenientNumbers(_Lenient):
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


# --- Amazon SNS carrying CloudWatch alarms -------------------------------------------------


class SnsMessage(_Lenient):
    """An Amazon SNS HTTP(S) message: a notification or a (un)subscription
    confirmation."""

    Type: str = Field(description="Notification, SubscriptionConfirmation, ...")
    MessageId: str = Field(description="SNS's id of the message.")
    TopicArn: str = Field(description="The topic.")
    Message: str = Field(description="For notifications: the CloudWatch alarm as JSON.")
    Timestamp: str = Field(description="When SNS published the message.")
    SignatureVersion: str = Field(description="1 (SHA1) or 2 (SHA256).")
    Signature: str = Field(description="Base64 RSA signature.")
    SigningCertURL: str = Field(description="The certificate that signed it.")
    Subject: str | None = Field(None, description="The notification's subject.")
    SubscribeURL: str | None = Field(None, description="Confirmation address.")
    Token: str | None = Field(None, description="Confirmation token.")
    UnsubscribeURL: str | None = Field(None, description="Unsubscribe address.")


class CloudWatchTrigger(_Lenient):
    MetricName: str = ""
    Namespace: str = ""
    Dimensions: list[dict[str, Any]] = Field(default_factory=list)


class CloudWatchAlarm(_Lenient):
    AlarmName: str
    NewStateValue: Literal["ALARM", "OK", "INSUFFICIENT_DATA"]
    StateChangeTime: datetime
    AlarmDescription: str | None = None
    NewStateReason: str = ""
    OldStateValue: str = ""
    AWSAccountId: str = ""
    Region: str = ""
    AlarmArn: str = ""
    Trigger: CloudWatchTrigger | None = None


def parse_sns(body: bytes) -> SnsMessage:
    return validate(SnsMessage, body)


def parse_cloudwatch(message: SnsMessage) -> list[IncomingAlert]:
    """A CloudWatch alarm's state change as an alert: ALARM fires it, OK
    resolves it, INSUFFICIENT_DATA fires it too (someone chose to be told
    about missing data), with the state in the labels."""
    try:
        alarm = CloudWatchAlarm.model_validate_json(message.Message)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = _path(("Message", *first["loc"]))
        if first["type"] == "json_invalid":
            raise MalformedAlert(
                _("The SNS message is not a CloudWatch alarm: its Message is not JSON."),
                field="Message",
            ) from None
        raise MalformedAlert(describe_validation_error(first, field), field=field) from None
    labels = {
        "alertname": alarm.AlarmName,
        "cloudwatch_state": alarm.NewStateValue,
    }
    # "Region" is a display name ("EU (Ireland)"); the ARN has the code.
    region = _aws_region(alarm.AlarmArn)
    for name, value in (
        ("aws_account", alarm.AWSAccountId),
        ("aws_region", region or alarm.Region),
        ("namespace", alarm.Trigger.Namespace if alarm.Trigger else ""),
        ("metric", alarm.Trigger.MetricName if alarm.Trigger else ""),
    ):
        if value:
            labels[name] = value
    for dimension in alarm.Trigger.Dimensions if alarm.Trigger else []:
        # CloudWatch writes {"value": ..., "name": ...}; accept either case.
        dimension_name = dimension.get("name") or dimension.get("Name")
        dimension_value = dimension.get("value", dimension.get("Value"))
        if dimension_name and dimension_value is not None:
            labels.setdefault(f"dimension_{dimension_name}", str(dimension_value))
    identity = alarm.AlarmArn or f"{alarm.AWSAccountId}/{alarm.Region}/{alarm.AlarmName}"
    annotations = {"summary": alarm.NewStateReason}
    if alarm.AlarmDescription:
        annotations["description"] = alarm.AlarmDescription
    if message.Subject:
        annotations["subject"] = message.Subject
    link = (
        f"https://console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:alarm/"
        + _quote(alarm.AlarmName)
        if region
        else ""
    )
    changed = _time(alarm.StateChangeTime)
    firing = alarm.NewStateValue != "OK"
    return [
        IncomingAlert(
            fingerprint=hashlib.sha256(identity.encode()).hexdigest()[:32],
            status=FIRING if firing else RESOLVED,
            labels=labels,
            annotations=annotations,
            starts_at=changed if firing else None,
            ends_at=None if firing else changed,
            generator_url=link,
        )
    ]


def _aws_region(arn: str) -> str:
    # arn:aws:cloudwatch:eu-west-1:123456789012:alarm:name
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


# --- shared -----------------------------------------------------------------------------

Model = TypeVar("Model", bound=BaseModel)


def validate(model: type[Model], body: bytes) -> Model:
    """The body as `model`, or MalformedAlert naming the first field at fault."""
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            problem = str(first.get("ctx", {}).get("error", "")) or first["msg"]
            raise MalformedAlert(
                _("The request body is not valid JSON: %(problem)s.") % {"problem": problem}
            ) from None
        field = _path(first["loc"])
        raise MalformedAlert(describe_validation_error(first, field), field=field) from None


def _path(loc: Sequence[int | str]) -> str | None:
    """('alerts', 3, 'labels') -> 'alerts[3].labels'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or None


def _time(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # Go and AWS always send a zone; be safe anyway
        value = value.replace(tzinfo=UTC)
    return None if value < _NO_TIME_BEFORE else value

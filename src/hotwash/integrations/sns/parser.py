"""Amazon SNS messages, and the CloudWatch alarms they carry, validated and
turned into `IncomingAlert`s. Lenient: fields we do not use are ignored."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from django.utils.translation import gettext as _
from pydantic import Field, ValidationError

from hotwash.alerts.ingest import FIRING, RESOLVED, IncomingAlert
from hotwash.alerts.payloads import InvalidPayload, Lenient, event_time, field_path, validate


class SnsMessage(Lenient):
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


class CloudWatchTrigger(Lenient):
    MetricName: str = ""
    Namespace: str = ""
    Dimensions: list[dict[str, Any]] = Field(default_factory=list)


class CloudWatchAlarm(Lenient):
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
        field = field_path(("Message", *first["loc"]))
        if first["type"] == "json_invalid":
            raise InvalidPayload(
                field="Message",
                message=_("The SNS message is not a CloudWatch alarm: its Message is not JSON."),
            ) from None
        raise InvalidPayload(field=field, error=first) from None
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
        + quote(alarm.AlarmName, safe="")
        if region
        else ""
    )
    changed = event_time(alarm.StateChangeTime)
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

"""Amazon SNS carrying CloudWatch alarms, as a kind of alert source."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.security.base import AuthBase

from hotwash.alerts.auth import AlertSourceBasic
from hotwash.alerts.ingest import IncomingAlert
from hotwash.alerts.models import AlertSource
from hotwash.alerts.payloads import InvalidPayload
from hotwash.alerts.services import record_sns_subscription
from hotwash.alerts.sources import AlertSourceKind
from hotwash.core.errors import PermissionDenied
from hotwash.integrations.sns import webhook
from hotwash.integrations.sns.parser import SnsMessage, parse_cloudwatch, parse_sns


class Sns(AlertSourceKind):
    kind = "sns"
    label = gettext_lazy("Amazon SNS (CloudWatch)")
    summary = "Receive CloudWatch alarms through Amazon SNS"
    description = """Subscribe this address (with the token as the password in the URL)
    to an SNS topic that CloudWatch alarms publish to. The subscription is
    confirmed automatically; every message's signature is verified against
    Amazon's certificate. ALARM fires an alert, OK resolves it."""
    payload = SnsMessage
    # SNS posts its messages as text/plain.
    content_type = "text/plain"
    # SNS could not be reached to fetch a certificate or confirm: SNS retries.
    extra_statuses = (502,)

    def authentication(self) -> AuthBase:
        # SNS cannot set headers; it sends the credentials written in the
        # subscription URL after a Basic challenge.
        return AlertSourceBasic(
            self.kind,
            where=_where_the_token_goes,
            description="Amazon SNS: put the source's token as the password in the "
            "subscription URL, https://hotwash:<token>@hotwash.example.org/api/v1/alerts/sns.",
        )

    def receive(self, source: AlertSource, body: bytes) -> list[IncomingAlert]:
        """A notification's alarm; [] for a (un)subscription confirmation,
        which is confirmed (or recorded) here."""
        message = parse_sns(body)
        if source.allowed_topic_arns and message.TopicArn not in source.allowed_topic_arns:
            raise PermissionDenied(
                _("The SNS topic %(topic)s is not allowed for the alert source %(name)s.")
                % {"topic": message.TopicArn, "name": source.name},
                field="TopicArn",
            )
        webhook.verify(message)
        if message.Type == "SubscriptionConfirmation":
            webhook.confirm_subscription(message)
            record_sns_subscription(
                source, topic_arn=message.TopicArn, action="alert_source.sns_subscribed"
            )
            return []
        if message.Type == "UnsubscribeConfirmation":
            record_sns_subscription(
                source, topic_arn=message.TopicArn, action="alert_source.sns_unsubscribed"
            )
            return []
        if message.Type != "Notification":
            raise InvalidPayload(
                field="Type",
                message=_("Unknown SNS message Type %(type)s.") % {"type": message.Type},
            )
        return parse_cloudwatch(message)


def _where_the_token_goes() -> str:
    return _(
        "Put the alert source's token in the subscription URL as the password: "
        "https://hotwash:<token>@host/api/v1/alerts/sns."
    )

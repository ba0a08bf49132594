"""Amazon SNS: CloudWatch alarms published to an SNS topic.

parser.py reads SNS messages and the CloudWatch alarms they carry;
webhook.py verifies each message's signature against Amazon's certificate
and confirms subscriptions; integration.py makes it the alert source kind
"sns" (POST /api/v1/alerts/sns, the token as the password of the
subscription URL). Setting: ALERTS_SNS_URL_PATTERN (no environment
variable). Documentation: docs/integrations.md#amazon-sns.
"""

from __future__ import annotations

from hotwash.alerts.sources import sources
from hotwash.integrations.sns.integration import Sns


def register() -> None:
    sources.register(Sns())

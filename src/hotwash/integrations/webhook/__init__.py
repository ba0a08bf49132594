"""An outbound webhook named by a notification rule, as a channel:

    send:
      - webhook: {url: "https://hooks.example.org/incidents", secret_env: HOOKS_SECRET}

The same request as a webhook subscription's (notifications/webhooks.py:
the JSON envelope, the X-Hotwash-* headers, CloudEvents 1.0 binary-mode
headers), signed when the rule names a secret. channel.py is all of it.
Documentation: docs/communications.md (Who hears what).
"""

from __future__ import annotations

from hotwash.integrations.webhook.channel import RuleWebhook
from hotwash.notifications.channels import channels


def register() -> None:
    channels.register(RuleWebhook())

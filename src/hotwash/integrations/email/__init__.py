"""Mail as a notification channel (kind `email`): rules' targets expand to
one delivery per person who may read the event; sent over SMTP through
Django's mail in each recipient's language, threaded per incident.
Documentation: docs/communications.md (routing)."""

from __future__ import annotations

from hotwash.integrations.email.channel import EmailChannel, expand
from hotwash.notifications.channels import channels
from hotwash.notifications.routing import expanders


def register() -> None:
    channels.register(EmailChannel())
    expanders["email"] = expand

"""Slack: `/incident` commands, the Events API and interactivity, and the
`slack` channel of the notification rules. docs/chat.md#slack.

views.py answers Slack's three request URLs (signed, acknowledged at once);
tasks.py and events.py do in the worker what takes Web API calls;
channel.py posts every change to the incident's channel and opens it;
identity.py finds who a Slack user is; client.py wraps slack_sdk's
WebClient and says what its failures mean; modals.py builds the forms.
"""

from __future__ import annotations

from hotwash.integrations.slack.channel import Slack
from hotwash.notifications.channels import channels


def register() -> None:
    channels.register(Slack())

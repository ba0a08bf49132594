"""Microsoft Teams: a bot on the Bot Framework REST protocol, and the
`teams` channels of the notification rules. docs/chat.md#microsoft-teams.

auth.py checks the Bot Connector's tokens and gets the bot's own;
connector.py calls the Bot Connector API; activities.py acts on what Teams
sends (commands, forms, the "Add to timeline" message action); cards.py
builds the Adaptive Cards; channel.py posts events (`teams`, an incident's
thread; `teams_webhook`, a workflow webhook)."""

from __future__ import annotations

from hotwash.integrations.teams.channel import TeamsConversation, TeamsWebhook
from hotwash.notifications.channels import channels


def register() -> None:
    channels.register(TeamsConversation())
    channels.register(TeamsWebhook())

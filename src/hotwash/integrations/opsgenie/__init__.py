"""Opsgenie (Alert API) as a notification channel: rules create an alert
when an incident is declared or escalated and close it when it is resolved
or closed; the incident's reference is the alert's alias.

Atlassian ends Opsgenie in April 2027: this channel is kept small, for the
time that is left. channel.py is all of it. Documentation:
docs/communications.md (Pagers).
"""

from __future__ import annotations

from hotwash.integrations.opsgenie.channel import Opsgenie
from hotwash.notifications.channels import channels


def register() -> None:
    channels.register(Opsgenie())

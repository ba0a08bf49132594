"""PagerDuty (Events API v2) as a notification channel: rules page a
PagerDuty service when an incident is declared or escalated, and resolve
the page when it is resolved or closed; the incident's reference is the
dedup_key.

events.py builds each event's body; keys.py reads the routing key a rule
names (an environment variable, a secret file, or each owning team's);
channel.py sends it and reads PagerDuty's answer. Documentation:
docs/communications.md (Pagers).
"""

from __future__ import annotations

from hotwash.integrations.pagerduty.channel import PagerDuty, expand
from hotwash.notifications.channels import channels
from hotwash.notifications.routing import expanders


def register() -> None:
    channels.register(PagerDuty())
    # Routing writes one delivery per routing key (each owning team's).
    expanders[PagerDuty.kind] = expand

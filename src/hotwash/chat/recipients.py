"""Routing's recipient source for chat: every event of an incident that has
its own conversation is posted there (registered at start-up by
hotwash.wiring.startup).

- `incident.declared`, while the conversation is only requested: one
  delivery that opens it (target `{"conversation": pk, "open": true}`);
- any event once it is open, or while it is opening (the platform's channel
  retries until it is): one delivery posting the event there
  (`{"conversation": pk}`).

A private incident's events go only to a conversation created private;
a conversation that was public when the incident turned private hears
nothing more of it (the notice that it turned private included).
"""

from __future__ import annotations

from collections.abc import Iterable

from hotwash.chat.models import ChatConversation
from hotwash.notifications.events import EventType
from hotwash.notifications.models import Event
from hotwash.notifications.routing import Planned


def incident_conversations(event: Event) -> Iterable[Planned]:
    if event.incident_id is None:
        return []
    planned = []
    for conversation in ChatConversation.objects.filter(incident_id=event.incident_id):
        if event.private and not conversation.private:
            continue
        opening = not conversation.is_open and event.type == EventType.INCIDENT_DECLARED
        target: dict[str, object] = {"conversation": conversation.pk}
        if opening:
            target["open"] = True
        planned.append(
            Planned(
                channel=conversation.platform,
                key=f"{conversation.platform}:conversation:{conversation.pk}",
                target=target,
                language=conversation.language,
            )
        )
    return planned

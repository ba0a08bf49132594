"""What the chat platforms post: an event as one short message, and an
incident conversation's topic, in the conversation's language. The same
sentences as the mail's (hotwash.notifications.sentences), so an event
reads the same everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from hotwash.incidents.display import severity_name
from hotwash.incidents.models import Incident, IncidentRole, RoleAssignment, Status
from hotwash.notifications.events import EventType
from hotwash.notifications.models import Event
from hotwash.notifications.payloads import incident_url
from hotwash.notifications.sentences import sentences

# The events that change what a conversation's topic says.
TOPIC_EVENTS = frozenset(
    {
        EventType.INCIDENT_DECLARED,
        EventType.INCIDENT_STATUS_CHANGED,
        EventType.INCIDENT_SEVERITY_CHANGED,
        EventType.INCIDENT_ROLE_ASSIGNED,
        EventType.INCIDENT_RESOLVED,
        EventType.INCIDENT_CLOSED,
    }
)


@dataclass(frozen=True)
class ChatText:
    """`headline`: the sentence; `detail`: a stakeholder update's text;
    `url`: the incident's page in that language."""

    headline: str
    detail: str
    url: str

    @property
    def plain(self) -> str:
        return "\n".join(part for part in (self.headline, self.detail, self.url) if part)


def event_text(event: Event, language: str) -> ChatText:
    with translation.override(language):
        told = sentences(event, language)
        ref = str((event.data.get("incident") or {}).get("ref") or "")
        return ChatText(
            headline=told.headline,
            detail=told.update_text,
            url=incident_url(ref, language) if ref else "",
        )


def topic(incident: Incident, language: str) -> str:
    """ "Status: Monitoring · SEV1 Critical · Commander: Amira Martin", read
    from the incident as it is now (a late retry never sets an old topic)."""
    commander = (
        RoleAssignment.objects.filter(
            incident=incident, role=IncidentRole.COMMANDER, ended_at__isnull=True
        )
        .select_related("user")
        .first()
    )
    with translation.override(language):
        parts = [
            _("Status: %(status)s") % {"status": Status(incident.status).label},
            f"SEV{incident.severity} {severity_name(incident.severity)}",
            _("Commander: %(person)s")
            % {
                "person": (
                    commander.user.get_full_name() or commander.user.get_username()
                    if commander and commander.user
                    else _("none yet")
                )
            },
        ]
        return " · ".join(parts)

"""An event told in one sentence (and a mail subject), in the active
language: what every channel that writes to people says first (the mail's
headline, a chat message). Read from Event.data, so it tells what was true
when the event happened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from hotwash.incidents.models import IncidentRole, Severity, Status
from hotwash.notifications.events import EventType
from hotwash.notifications.models import Event


@dataclass(frozen=True)
class Sentences:
    subject: str
    headline: str
    # A stakeholder update's own text in the language asked for (or any).
    update_text: str
    severity: str
    status: str


def _severity(value: Any) -> str:
    try:
        return str(Severity(int(value)).label)
    except (TypeError, ValueError):
        return ""


def _status(value: Any) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return str(value or "")


def _role(value: Any) -> str:
    try:
        return str(IncidentRole(value).label)
    except ValueError:
        return str(value or "")


def sentences(event: Event, language: str) -> Sentences:
    """Call inside translation.override(language)."""
    data = event.data
    incident = data.get("incident") or {}
    change = data.get("change") or {}
    ref = str(incident.get("ref") or "")
    title = str(incident.get("title") or "")
    values = {
        "ref": ref,
        "title": title,
        "severity": _severity(incident.get("severity")),
        "status": _status(incident.get("status")),
        "actor": data.get("actor") or _("Hotwash"),
    }
    update_text = ""
    if event.type == EventType.INCIDENT_DECLARED:
        subject = _("[%(ref)s] %(severity)s declared: %(title)s")
        headline = _("%(actor)s declared %(ref)s at %(severity)s.")
    elif event.type == EventType.INCIDENT_SEVERITY_CHANGED:
        values["before"] = _severity(change.get("from"))
        subject = _("[%(ref)s] Now %(severity)s: %(title)s")
        headline = _("%(actor)s changed the severity of %(ref)s from %(before)s to %(severity)s.")
    elif event.type == EventType.INCIDENT_STATUS_CHANGED:
        values["before"] = _status(change.get("from"))
        subject = _("[%(ref)s] %(status)s: %(title)s")
        headline = _("%(actor)s changed the status of %(ref)s from %(before)s to %(status)s.")
    elif event.type == EventType.INCIDENT_RESOLVED:
        subject = _("[%(ref)s] Resolved: %(title)s")
        headline = _("%(ref)s is resolved: the impact has ended.")
    elif event.type == EventType.INCIDENT_CLOSED:
        subject = _("[%(ref)s] Closed: %(title)s")
        headline = _("%(ref)s is closed.")
    elif event.type == EventType.INCIDENT_MADE_PRIVATE:
        subject = _("[%(ref)s] Made private: %(title)s")
        headline = _("%(actor)s made %(ref)s private: only its participants can see it now.")
    elif event.type == EventType.INCIDENT_ROLE_ASSIGNED:
        values["role"] = _role(change.get("role"))
        values["holder"] = change.get("to") or ""
        if values["holder"]:
            subject = _("[%(ref)s] %(holder)s is %(role)s: %(title)s")
            headline = _("%(actor)s made %(holder)s the %(role)s of %(ref)s.")
        else:
            subject = _("[%(ref)s] No %(role)s: %(title)s")
            headline = _("%(ref)s has no %(role)s any more.")
    elif event.type == EventType.INCIDENT_UPDATE_PUBLISHED:
        update = data.get("update") or {}
        texts = update.get("text") or {}
        update_text = str(texts.get(language) or next((t for t in texts.values() if t), ""))
        values["update_status"] = _status(update.get("status"))
        subject = _("[%(ref)s] Update, %(update_status)s: %(title)s")
        headline = _("%(actor)s published an update on %(ref)s.")
    elif event.type in (EventType.POLICY_FIRED, EventType.PROPOSAL_RAISED):
        values["policy"] = str(data.get("policy") or "")
        if ref:
            subject = _("[%(ref)s] Trigger policy %(policy)s fired: %(title)s")
            headline = _("The trigger policy %(policy)s fired on %(ref)s.")
        else:
            values["labels"] = ", ".join(
                f"{key}={value}"
                for key, value in sorted(((data.get("details") or {}).get("labels") or {}).items())
            )
            subject = _("Trigger policy %(policy)s fired")
            headline = _("The trigger policy %(policy)s fired (alert labels: %(labels)s).")
    else:
        subject = _("[%(ref)s] %(title)s")
        headline = str(EventType(event.type).label) if event.type in EventType.values else ""
    return Sentences(
        subject=subject % values,
        headline=headline % values,
        update_text=update_text,
        severity=values["severity"],
        status=values["status"],
    )

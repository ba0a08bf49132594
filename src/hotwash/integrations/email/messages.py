"""What a mail about an event says, in one language.

Rendered once per (event, language) and reused for every recipient who
reads that language (the body names no recipient), so a thousand
followers cost two renders. Subject and body come from
templates/email/incident_event.{txt,html} (in the integrations app) and
read what was true when the event happened (Event.data), with a link to
the incident's page in the reader's language.

Threading: every mail about an incident belongs to one thread. The mail
of `incident.declared` has the Message-ID `<incident-42@host>`; every
later one has its own id and `In-Reply-To` and `References` that name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from hotwash.incidents.models import IncidentRole, Service, Severity, Status
from hotwash.notifications.conf import site_url
from hotwash.notifications.events import EventType
from hotwash.notifications.links import preferences_url
from hotwash.notifications.models import Delivery, Event
from hotwash.notifications.payloads import incident_url
from hotwash.statuspage.models import PublicStatus


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def host() -> str:
    """The site's host name, ASCII (IDNA) as a Message-ID needs it."""
    name = urlsplit(site_url()).hostname or "hotwash.invalid"
    return name.encode("idna").decode("ascii")


def thread_id(incident_id: int) -> str:
    """The Message-ID of an incident's first mail, which later ones answer."""
    return f"<incident-{incident_id}@{host()}>"


def threading_headers(delivery: Delivery) -> dict[str, str]:
    event = delivery.event
    incident = event.data.get("incident") or {}
    incident_id = incident.get("id") or event.incident_id
    if not incident_id:
        return {"Message-ID": f"<event-{event.pk}.{delivery.pk}@{host()}>"}
    first = thread_id(int(incident_id))
    if event.type == EventType.INCIDENT_DECLARED:
        return {"Message-ID": first}
    return {
        "Message-ID": f"<incident-{incident_id}.{delivery.pk}@{host()}>",
        "In-Reply-To": first,
        "References": first,
    }


def language_of(delivery: Delivery) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    return delivery.language if delivery.language in codes else settings.LANGUAGE_CODE


def render(event: Event, language: str) -> Rendered:
    with translation.override(language):
        context = _context(event, language)
        text = render_to_string("email/incident_event.txt", context)
        html = render_to_string("email/incident_event.html", context)
    return Rendered(subject=context["subject"], text=text, html=html)


def render_public(event: Event, language: str, *, unsubscribe_url: str) -> Rendered:
    """A public stakeholder update as a status page subscriber reads it:
    the update's text, its public status and the public names of the
    services it affects; never the incident's reference, title, severity
    or people, which the public does not see (the status page's rule)."""
    update = event.data.get("update") or {}
    texts = update.get("text") or {}
    services = public_service_names((event.data.get("incident") or {}).get("services") or [])
    with translation.override(language):
        values = {
            "services": ", ".join(services) or _("our services"),
            "update_status": _public_status(update.get("status")),
        }
        context = {
            "subject": _("%(services)s: %(update_status)s") % values,
            "headline": _("An update on %(services)s.") % values,
            "services": ", ".join(services),
            "update_status": values["update_status"],
            "update_text": str(texts.get(language) or next((t for t in texts.values() if t), "")),
            "status_url": status_page_url(language),
            "unsubscribe_url": unsubscribe_url,
            "LANGUAGE_CODE": language,
        }
        text = render_to_string("email/status_update.txt", context)
        html = render_to_string("email/status_update.html", context)
    return Rendered(subject=context["subject"], text=text, html=html)


def public_service_names(names: list[str]) -> list[str]:
    rows = Service.objects.filter(name__in=names, public=True).values_list("name", "public_name")
    return sorted(public_name or name for name, public_name in rows)


def status_page_url(language: str) -> str:
    with translation.override(language):
        return site_url() + reverse("statuspage:page")


def _public_status(value: Any) -> str:
    try:
        return str(PublicStatus(value).label)
    except ValueError:
        return str(value or "")


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


def _context(event: Event, language: str) -> dict[str, Any]:
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
    return {
        "subject": subject % values,
        "headline": headline % values,
        "incident": incident,
        "severity": values["severity"],
        "status": values["status"],
        "services": ", ".join(incident.get("services") or []),
        "update_text": update_text,
        "url": incident_url(ref, language) if ref else site_url() + "/",
        "preferences_url": preferences_url(),
        "LANGUAGE_CODE": language,
    }

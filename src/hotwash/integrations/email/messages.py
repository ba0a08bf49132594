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

from hotwash.incidents.models import Service
from hotwash.notifications.conf import site_url
from hotwash.notifications.events import EventType
from hotwash.notifications.links import preferences_url
from hotwash.notifications.models import Delivery, Event
from hotwash.notifications.payloads import incident_url
from hotwash.notifications.sentences import sentences
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


def _context(event: Event, language: str) -> dict[str, Any]:
    incident = event.data.get("incident") or {}
    ref = str(incident.get("ref") or "")
    told = sentences(event, language)
    return {
        "subject": told.subject,
        "headline": told.headline,
        "incident": incident,
        "severity": told.severity,
        "status": told.status,
        "services": ", ".join(incident.get("services") or []),
        "update_text": told.update_text,
        "url": incident_url(ref, language) if ref else site_url() + "/",
        "preferences_url": preferences_url(),
        "LANGUAGE_CODE": language,
    }

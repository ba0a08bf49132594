"""Atom feeds (RFC 4287) of the public updates, in one language.

Entries are the public updates of the incidents the public page shows
(never a private incident's, never an internal update), newest first. Each
entry has the elements RFC 4287 requires (id, title, updated) plus a link to
the status page and the update's text as content. The feed's `updated` is
its newest entry's time, so the bytes change only when the entries do.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from hotwash.incidents.models import Service
from hotwash.statuspage.board import Board, IncidentEntry
from hotwash.statuspage.models import StakeholderUpdate

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_ENTRIES = 50
# When a feed has no entry yet: the Unix epoch ("never updated").
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
# The date in the tag: URIs of entry ids (RFC 4151); fixed forever, so that
# an entry's id never changes.
TAG_DATE = "2026"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def entry_title(entry: IncidentEntry, update: StakeholderUpdate) -> str:
    """What a reader of the feed sees: the public services affected and the
    update's status (never the incident's internal title)."""
    names = ", ".join(row.name for row in entry.services)
    status = update.get_status_display()
    if names:
        return _("%(services)s: %(status)s") % {"services": names, "status": status}
    return _("Service incident: %(status)s") % {"status": status}


def atom_feed(board: Board, language: str, path: str, service: Service | None) -> bytes:
    """The feed at `path` in the active language (`language`)."""
    ET.register_namespace("", ATOM_NS)
    site = settings.SITE_URL
    page_url = site + reverse("statuspage:page")
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {XML_LANG: language})
    if service is None:
        title = _("Service status")
    else:
        title = _("Service status: %(service)s") % {"service": service.public_name or service.name}
    _text(feed, "id", site + path)
    _text(feed, "title", title)
    entries_of = {
        update.pk: entry for entry in [*board.current, *board.history] for update in entry.updates
    }
    updates = board.feed_updates(service)[:MAX_ENTRIES]
    _text(feed, "updated", _iso(updates[0].published_at if updates else NEVER))
    author = ET.SubElement(feed, f"{{{ATOM_NS}}}author")
    _text(author, "name", _host())
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", {"rel": "self", "href": site + path})
    ET.SubElement(
        feed, f"{{{ATOM_NS}}}link", {"rel": "alternate", "type": "text/html", "href": page_url}
    )
    for update in updates:
        entry = entries_of[update.pk]
        item = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
        _text(item, "id", f"tag:{_host()},{TAG_DATE}:status-update-{update.pk}-{language}")
        _text(item, "title", entry_title(entry, update))
        _text(item, "updated", _iso(update.published_at))
        _text(item, "published", _iso(update.published_at))
        ET.SubElement(
            item,
            f"{{{ATOM_NS}}}link",
            {"rel": "alternate", "type": "text/html", "href": f"{page_url}#{entry.anchor}"},
        )
        content = ET.SubElement(item, f"{{{ATOM_NS}}}content", {"type": "text"})
        content.text = update.text(language)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}")
    element.text = text
    return element

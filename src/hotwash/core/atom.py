"""Atom feeds (RFC 4287): the one writer the status page and the postmortem
feeds share, so that every feed Hotwash serves has the elements the RFC
requires (a feed's and each entry's id, title and updated; an author for
the feed; a text or a link for each entry) and the same date format.

Ids of entries are tag: URIs (RFC 4151) built by `tag_id`: fixed forever
for one thing in one language, so a feed reader never shows an entry twice.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# When a feed has no entry yet: the Unix epoch ("never updated").
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
# The date in the tag: URIs of entry ids; fixed forever, so that an entry's
# id never changes.
TAG_DATE = "2026"


def iso(moment: datetime) -> str:
    """An RFC 3339 date-time in UTC, as Atom's date constructs want."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def tag_id(specific: str) -> str:
    """A permanent entry id: tag:<host>,2026:<specific>."""
    return f"tag:{site_host()},{TAG_DATE}:{specific}"


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    updated: datetime
    link: str  # the entry's page (rel="alternate", text/html)
    text: str  # plain text: the entry's content
    published: datetime | None = None
    authors: Sequence[str] = ()
    categories: Sequence[str] = ()


@dataclass(frozen=True)
class Feed:
    id: str  # the feed's own URL
    title: str
    language: str
    link: str  # the page the feed follows (rel="alternate", text/html)
    entries: Sequence[Entry] = field(default_factory=tuple)
    subtitle: str = ""


def render(feed: Feed) -> bytes:
    """The feed as UTF-8 XML. Its `updated` is its newest entry's time, so the
    bytes change only when the entries do."""
    ET.register_namespace("", ATOM_NS)
    root = ET.Element(f"{{{ATOM_NS}}}feed", {XML_LANG: feed.language})
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    if feed.subtitle:
        _text(root, "subtitle", feed.subtitle)
    newest = max((entry.updated for entry in feed.entries), default=NEVER)
    _text(root, "updated", iso(newest))
    # The feed's author stands for every entry that names none (RFC 4287, 4.1.1).
    author = ET.SubElement(root, f"{{{ATOM_NS}}}author")
    _text(author, "name", site_host())
    ET.SubElement(root, f"{{{ATOM_NS}}}link", {"rel": "self", "href": feed.id})
    ET.SubElement(
        root, f"{{{ATOM_NS}}}link", {"rel": "alternate", "type": "text/html", "href": feed.link}
    )
    for entry in feed.entries:
        _entry(root, entry)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def _entry(root: ET.Element, entry: Entry) -> None:
    item = ET.SubElement(root, f"{{{ATOM_NS}}}entry")
    _text(item, "id", entry.id)
    _text(item, "title", entry.title)
    _text(item, "updated", iso(entry.updated))
    if entry.published is not None:
        _text(item, "published", iso(entry.published))
    for name in entry.authors:
        author = ET.SubElement(item, f"{{{ATOM_NS}}}author")
        _text(author, "name", name)
    for term in entry.categories:
        ET.SubElement(item, f"{{{ATOM_NS}}}category", {"term": term})
    ET.SubElement(
        item, f"{{{ATOM_NS}}}link", {"rel": "alternate", "type": "text/html", "href": entry.link}
    )
    content = ET.SubElement(item, f"{{{ATOM_NS}}}content", {"type": "text"})
    content.text = entry.text


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}")
    element.text = text
    return element

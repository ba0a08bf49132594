"""RFC 4287's rules for an Atom feed document, checked one by one: what a
feed validator says of the feeds Hotwash serves (none can be fetched here).

`problems(body)` lists every rule a feed breaks, [] for a valid one:
- 4.1.1: a feed has exactly one id, title and updated; at most one
  subtitle, rights, icon, logo and generator; an author unless every entry
  has one; at most one alternate link per type and hreflang.
- 4.1.2: an entry has exactly one id, title and updated; at most one
  content, published, rights, source and summary; an author unless the
  feed has one; content, or else an alternate link.
- 3.1: a text construct's type is text, html or xhtml.
- 3.2: a person construct has exactly one name.
- 3.3: dates are RFC 3339 date-times with a time zone.
- 4.2.6 and 4.2.7: ids and links are absolute IRIs (hrefs of links may be
  relative, but ours never are).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

NS = "{http://www.w3.org/2005/Atom}"
DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)\Z")
TEXT_CONSTRUCTS = ("title", "subtitle", "rights", "summary")
ONE_AT_MOST = {
    "feed": ("subtitle", "rights", "icon", "logo", "generator"),
    "entry": ("content", "published", "rights", "source", "summary"),
}


def problems(body: bytes) -> list[str]:
    root = ET.fromstring(body)
    if root.tag != f"{NS}feed":
        return [f"the document element is {root.tag}, not atom:feed"]
    found = [f"feed: {p}" for p in _element_problems(root, "feed")]
    feed_has_author = bool(root.findall(f"{NS}author"))
    entries = root.findall(f"{NS}entry")
    if not feed_has_author and not all(e.findall(f"{NS}author") for e in entries):
        found.append("feed: no atom:author, and an entry has none either")
    for index, entry in enumerate(entries):
        where = f"entry {index + 1}"
        found += [f"{where}: {p}" for p in _element_problems(entry, "entry")]
        if entry.find(f"{NS}content") is None and not _alternates(entry):
            found.append(f"{where}: neither atom:content nor an alternate link")
    return found


def _element_problems(element: ET.Element, kind: str) -> list[str]:
    found: list[str] = []
    for name in ("id", "title", "updated"):
        count = len(element.findall(f"{NS}{name}"))
        if count != 1:
            found.append(f"{count} atom:{name}, exactly one required")
    for name in ONE_AT_MOST[kind]:
        if len(element.findall(f"{NS}{name}")) > 1:
            found.append(f"more than one atom:{name}")
    for name in ("updated", "published"):
        for date in element.findall(f"{NS}{name}"):
            if not DATE.match(date.text or ""):
                found.append(f"atom:{name} {date.text!r} is not an RFC 3339 date-time")
    for name in TEXT_CONSTRUCTS:
        for text in element.findall(f"{NS}{name}"):
            if text.get("type", "text") not in ("text", "html", "xhtml"):
                found.append(f"atom:{name} has type {text.get('type')!r}")
    for person in [*element.findall(f"{NS}author"), *element.findall(f"{NS}contributor")]:
        if len(person.findall(f"{NS}name")) != 1 or not (person.findtext(f"{NS}name") or ""):
            found.append("a person construct without exactly one name")
    for identifier in element.findall(f"{NS}id"):
        if not _absolute(identifier.text or ""):
            found.append(f"atom:id {identifier.text!r} is not an absolute IRI")
    seen: set[tuple[str | None, str | None]] = set()
    for link in element.findall(f"{NS}link"):
        if not _absolute(link.get("href", "")):
            found.append(f"a link's href {link.get('href')!r} is not absolute")
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type"), link.get("hreflang"))
            if key in seen:
                found.append("two alternate links of one type and hreflang")
            seen.add(key)
    return found


def _alternates(element: ET.Element) -> list[ET.Element]:
    return [
        link for link in element.findall(f"{NS}link") if link.get("rel", "alternate") == "alternate"
    ]


def _absolute(iri: str) -> bool:
    parts = urlsplit(iri)
    return bool(parts.scheme) and bool(parts.netloc or parts.scheme in ("tag", "urn"))

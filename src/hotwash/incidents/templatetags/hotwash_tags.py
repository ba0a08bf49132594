"""Template filters that turn stored facts into what a person reads.

Thin wrappers around `hotwash.incidents.display`, so a page, the API and the
CLI say the same thing in the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.forms import BoundField
from django.http import HttpRequest
from django.urls import translate_url
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import normalize_newlines
from django.utils.translation import gettext as _

from hotwash.incidents import display
from hotwash.incidents.models import TimelineEdit, TimelineEvent

register = template.Library()


@register.filter
def format_time(value: datetime | None) -> str:
    """`2026-11-26 03:12:00 CET`: a time in the viewer's zone, zone shown."""
    return display.format_time(value)


@register.filter
def duration(value: timedelta | None) -> str:
    return display.format_duration(value) if value is not None else ""


@register.filter
def since(value: datetime | None) -> str:
    """How long ago `value` was, the way a person says it ("40 s")."""
    if value is None:
        return ""
    return display.format_duration(timezone.now() - value)


@register.filter
def describe_event(event: TimelineEvent) -> str:
    return display.describe_event(event)


# A web address in running text: up to the next space or quote. Only http
# and https: anything else a monitoring system was told to send (javascript:,
# data:, file:) stays text.
WEB_ADDRESS = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
# Punctuation that ends a sentence, not the address ("see http://x/.").
TRAILING = ".,;:!?"


def _link(address: str) -> tuple[str, str]:
    """The address as a link, and what followed it that is not part of it."""
    tail = ""
    while address and (
        address[-1] in TRAILING or (address[-1] == ")" and address.count("(") < address.count(")"))
    ):
        address, tail = address[:-1], address[-1] + tail
    try:
        host = urlsplit(address).hostname
    except ValueError:
        host = None
    if not host:
        return escape(address), escape(tail)
    return f'<a href="{escape(address)}" rel="noopener noreferrer">{escape(address)}</a>', escape(
        tail
    )


def _with_links(line: str) -> str:
    """One line, escaped, with its http(s) addresses as links."""
    parts: list[str] = []
    start = 0
    for match in WEB_ADDRESS.finditer(line):
        parts.append(escape(line[start : match.start()]))
        parts.extend(_link(match.group()))
        start = match.end()
    parts.append(escape(line[start:]))
    return "".join(parts)


@register.filter(is_safe=True)
def linebreaks_links(value: Any) -> SafeString:
    """Like `linebreaks` (paragraphs and line breaks, everything escaped),
    with every http or https address a link: the source link an alert
    brought, a dashboard someone pasted."""
    text = normalize_newlines(str(value or "")).strip()
    if not text:
        return mark_safe("")
    paragraphs = re.split(r"\n{2,}", text)
    html = "\n\n".join(
        "<p>{}</p>".format("<br>".join(_with_links(line) for line in paragraph.split("\n")))
        for paragraph in paragraphs
    )
    return mark_safe(html)  # every piece was escaped above


@register.filter(is_safe=True)
def linebreaksbr_links(value: Any) -> SafeString:
    """Like `linebreaksbr`, with every http or https address a link."""
    lines = normalize_newlines(str(value or "")).split("\n")
    # Every piece is escaped in _with_links.
    return mark_safe("<br>".join(_with_links(line) for line in lines))


@register.filter
def severity_name(level: int) -> str:
    return display.severity_name(int(level))


@register.filter
def severity_description(level: int) -> str:
    return display.severity_description(int(level))


@register.filter
def person(user: Any) -> str:
    """A person's name as others know them; None is Hotwash itself."""
    if user is None:
        return "Hotwash"
    return str(user.get_full_name() or user.get_username())


@register.filter
def recorded_later(event: TimelineEvent) -> bool:
    """Whether the entry was written noticeably after it happened
    (back-dated), so the page says so."""
    return event.recorded_at - event.occurred_at > timedelta(minutes=1)


@dataclass(frozen=True)
class EditRow:
    label: str
    before: str
    after: str


_EDIT_LABELS = {
    "body": lambda: _("Text"),
    "occurred_at": lambda: _("Happened at"),
    "key_moment": lambda: _("Key moment"),
}


def _edit_value(field: str, value: Any) -> str:
    if field == "occurred_at" and isinstance(value, str):
        return display.format_time(datetime.fromisoformat(value))
    if field == "key_moment":
        return _("yes") if value else _("no")
    return str(value) if value not in (None, "") else _("(none)")


@register.filter
def edit_rows(edit: TimelineEdit) -> list[EditRow]:
    """One row per field an edit changed: what it was, what it became."""
    return [
        EditRow(
            label=_EDIT_LABELS[field]() if field in _EDIT_LABELS else field,
            before=_edit_value(field, edit.before.get(field)),
            after=_edit_value(field, value),
        )
        for field, value in edit.after.items()
    ]


@register.filter
def initial_hidden(field: BoundField) -> SafeString:
    """The hidden copy of a field's initial value, for fields the template
    renders by hand (radio groups); `changed_data` compares against it."""
    return field.as_hidden(only_initial=True)


@register.simple_tag
def path_in_language(request: HttpRequest | None, language: str) -> str:
    """This page's address in another language (itself if it has none)."""
    if request is None or not hasattr(request, "get_full_path"):
        return f"/{language}/"
    return translate_url(request.get_full_path(), language)

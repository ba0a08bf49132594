"""Template filters that turn stored facts into what a person reads.

Thin wrappers around `hotwash.incidents.display`, so a page, the API and the
CLI say the same thing in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.forms import BoundField
from django.http import HttpRequest
from django.urls import translate_url
from django.utils import timezone
from django.utils.safestring import SafeString
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

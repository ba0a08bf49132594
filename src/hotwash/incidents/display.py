"""Turning stored facts into sentences and figures for people.

Generated timeline entries store structured data, not prose, so each reader
sees them in their own language and time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from hotwash.core.choices import choice_label
from hotwash.incidents import fields as custom_fields
from hotwash.incidents.models import (
    DetectionSource,
    Incident,
    IncidentRole,
    Severity,
    Status,
    TimelineEvent,
    TimelineKind,
)
from hotwash.policies import severity_definition


def person_name(user: User) -> str:
    """A person as others know them: their full name, else their username."""
    return str(user.get_full_name() or user.get_username())


# A role's name inside a sentence ("Amira is now incident commander."), where
# the label (IncidentRole, "Incident commander") is a title; French words
# them differently, hence the context.
ROLES_IN_SENTENCES: dict[str, Promise] = {
    IncidentRole.COMMANDER: pgettext_lazy("role in a sentence", "incident commander"),
    IncidentRole.SCRIBE: pgettext_lazy("role in a sentence", "scribe"),
    IncidentRole.COMMUNICATIONS: pgettext_lazy("role in a sentence", "communications lead"),
    IncidentRole.OPERATIONS: pgettext_lazy("role in a sentence", "operations lead"),
}


def role_in_sentence(role: str | None) -> str:
    name = ROLES_IN_SENTENCES.get(str(role))
    return str(name) if name is not None else choice_label(IncidentRole, role)


def named(data: Mapping[str, Any], key: str) -> str:
    """The person whose username is under `key` of an entry's data: by the
    name stored beside it (`<key>_name`), or, in entries written before names
    were stored, by their account's name now; "" when nobody."""
    name = data.get(f"{key}_name")
    username = data.get(key)
    if name or not username:
        return str(name or "")
    user = User.objects.filter(username=username).first()
    return person_name(user) if user is not None else str(username)


def field_label(field: str) -> str:
    if field == "services":
        return _("Services affected")
    model_field = Incident._meta.get_field(field)
    return str(getattr(model_field, "verbose_name", field)).capitalize()


def format_value(field: str, value: Any) -> str:
    if value in (None, "", []):
        return _("(none)")
    if field == "status":
        return choice_label(Status, value)
    if field == "severity":
        return choice_label(Severity, value)
    if field == "detection_source":
        return choice_label(DetectionSource, value)
    if field == "private":
        return _("private") if value else _("not private")
    if field == "services":
        return ", ".join(value)
    if field == "type":
        return custom_fields.type_name(str(value))
    if field.endswith("_at") and isinstance(value, str):
        return format_time(datetime.fromisoformat(value))
    return str(value)


def format_time(value: datetime | None) -> str:
    """A time in the viewer's zone, always with the zone shown."""
    if value is None:
        return _("(none)")
    local = timezone.localtime(value)
    return f"{date_format(local, 'Y-m-d H:i:s')} {local.tzname()}"


EventDescriber = Callable[[TimelineEvent], str]
_DESCRIBERS: dict[str, EventDescriber] = {}


def register_describer(kind: str, describer: EventDescriber) -> None:
    """Let the app that writes entries of `kind` say how they read: at
    display time, in the reader's language, from the entry's data."""
    _DESCRIBERS[kind] = describer


def describe_event(event: TimelineEvent) -> str:
    """The entry as one sentence in the active language."""
    describer = _DESCRIBERS.get(event.kind)
    if describer is not None:
        return describer(event)
    data = event.data or {}
    if event.kind in (
        TimelineKind.NOTE,
        TimelineKind.DECISION,
        TimelineKind.CHAT,
        TimelineKind.ALERT,
    ):
        return event.body
    if event.kind == TimelineKind.DECLARED:
        return _("Incident declared: %(title)s (%(severity)s, %(status)s).") % {
            "title": data.get("title", ""),
            "severity": choice_label(Severity, data.get("severity")),
            "status": choice_label(Status, data.get("status")),
        }
    if event.kind == TimelineKind.ROLE:
        if data.get("to") and data.get("from"):
            return _("%(role)s handed over from %(from)s to %(to)s.") % {
                "role": choice_label(IncidentRole, data.get("role")),
                "from": named(data, "from"),
                "to": named(data, "to"),
            }
        role = role_in_sentence(data.get("role"))
        if data.get("to"):
            return _("%(user)s is now %(role)s.") % {"user": named(data, "to"), "role": role}
        return _("%(user)s is no longer %(role)s.") % {"user": named(data, "from"), "role": role}
    field = str(data.get("field", ""))
    if field.startswith("fields."):
        return describe_field_change(data)
    if field == "summary" or field == "impact":
        return _("%(field)s updated: %(value)s") % {
            "field": field_label(field),
            "value": format_value(field, data.get("to")),
        }
    if field:
        return _("%(field)s changed from %(old)s to %(new)s.") % {
            "field": field_label(field),
            "old": format_value(field, data.get("from")),
            "new": format_value(field, data.get("to")),
        }
    return event.body


def describe_field_change(data: Mapping[str, Any]) -> str:
    """A custom field's change ("People affected changed from 100 to
    120."), its name and values in the reader's language."""
    type_key = str(data.get("type", ""))
    key = str(data.get("field", "")).removeprefix("fields.")
    values = {
        "field": custom_fields.field_name(type_key, key),
        "old": custom_fields.describe_field_value(type_key, key, data.get("from")),
        "new": custom_fields.describe_field_value(type_key, key, data.get("to")),
    }
    if data.get("to") is None:
        return _("%(field)s cleared (it was %(old)s).") % values
    if data.get("from") is None:
        return _("%(field)s set to %(new)s.") % values
    return _("%(field)s changed from %(old)s to %(new)s.") % values


def severity_name(level: int) -> str:
    return severity_definition(level).name.get()


def severity_description(level: int) -> str:
    return severity_definition(level).description.get()


def format_duration(value: timedelta) -> str:
    """A duration the way a person says it: "2 h 5 min", "40 s", "3 d 4 h"."""
    seconds = max(int(value.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return ngettext("%(minutes)d min", "%(minutes)d min", minutes) % {"minutes": minutes}
    return _("%(seconds)d s") % {"seconds": secs}

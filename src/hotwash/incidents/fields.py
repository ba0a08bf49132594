"""Incident types and their custom fields: the one place that checks and
cleans a type's field values, and says them in the reader's language.

Types and their fields are defined in the policy file (hotwash.policies:
`incident_types`). Declaring (web, API, CLI), the incident page and PATCH
all clean values here, so the rules and messages are the same everywhere.
Values are stored in `Incident.fields` as JSON: text, a number (an integer
when it is whole), a choice's key, a date as ISO text, a username, or
true/false for yes-no fields. A field without a value is absent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from hotwash.core.errors import InvalidInput
from hotwash.core.validators import date_problem
from hotwash.policies import (
    CustomFieldDefinition,
    IncidentTypeDefinition,
    default_incident_type,
    incident_type,
    incident_types,
)

__all__ = [
    "InvalidFields",
    "ShownField",
    "clean_fields",
    "clean_type",
    "clean_value",
    "default_incident_type",
    "display_value",
    "field_definitions",
    "find_field",
    "incident_type",
    "incident_types",
    "shown_fields",
    "type_choices",
    "type_name",
]

# Long enough for a paragraph about what was exposed; a field is not a report.
FIELD_TEXT_MAX = 2000
# Beyond this a number is a typo (or an attempt to break a report), not a count.
NUMBER_MAX = Decimal("1e15")
YES_WORDS = frozenset({"true", "yes", "y", "on", "1", "oui"})
NO_WORDS = frozenset({"false", "no", "n", "off", "0", "non"})

Value = str | int | float | bool


def error_field(key: str) -> str:
    """How errors name a custom field: `fields.people_affected`."""
    return f"fields.{key}"


class InvalidFields(InvalidInput):
    """One or more field values are wrong; every problem names its own
    field (`fields.<key>`), the first also as the error's `field`."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        first_field, first_message = problems[0]
        super().__init__(
            first_message,
            field=first_field,
            problems=[message for _field, message in problems[1:]],
            problem_fields=[field for field, _message in problems[1:]],
        )
        self.field_problems = list(problems)


# --- types ------------------------------------------------------------------------


def clean_type(value: object) -> str:
    """A type key the policy defines; empty means the default type."""
    key = str(value or "").strip().lower()
    if not key:
        return default_incident_type()
    if incident_type(key) is None:
        raise InvalidInput(
            _("Unknown incident type %(value)s: use one of %(choices)s.")
            % {"value": value, "choices": ", ".join(incident_types())},
            field="type",
        )
    return key


def type_name(key: str) -> str:
    """The type's name in the active language; the key itself for a type
    the policy no longer defines (incidents keep their key)."""
    definition = incident_type(key)
    return definition.name.get() if definition is not None else key


def type_description(key: str) -> str:
    definition = incident_type(key)
    if definition is None or definition.description is None:
        return ""
    return definition.description.get()


def type_choices() -> list[tuple[str, str]]:
    """(key, name) of every type, in the policy's order."""
    return [(key, definition.name.get()) for key, definition in incident_types().items()]


def field_definitions(key: str) -> list[CustomFieldDefinition]:
    definition = incident_type(key)
    return list(definition.fields) if definition is not None else []


def find_field(key: str, type_key: str | None = None) -> CustomFieldDefinition | None:
    """The definition of field `key`: in `type_key` when given, else in the
    first type that defines it (filters across types)."""
    keys = [type_key] if type_key else list(incident_types())
    for each in keys:
        definition = incident_type(each)
        field = definition.field(key) if definition is not None else None
        if field is not None:
            return field
    return None


# --- cleaning ---------------------------------------------------------------------


def clean_fields(
    type_key: str,
    values: Mapping[str, Any] | None,
    *,
    current: Mapping[str, Any] | None = None,
) -> dict[str, Value]:
    """The type's field values after applying `values` to `current` (None
    or "" clears a field), checked against the type: every key known, every
    value of its kind, every required field present. Values in `current`
    the type does not define are dropped (its type changed). Raises
    InvalidFields listing every problem; changes nothing."""
    definition = incident_type(type_key)
    if definition is None:
        raise InvalidInput(
            _("Unknown incident type %(value)s.") % {"value": type_key}, field="type"
        )
    if values is not None and not isinstance(values, Mapping):
        raise InvalidInput(
            _("Send the fields as an object of field keys and values."), field="fields"
        )
    problems: list[tuple[str, str]] = []
    merged: dict[str, Any] = {
        key: value for key, value in (current or {}).items() if definition.field(key) is not None
    }
    for key, raw in (values or {}).items():
        field = definition.field(str(key))
        if field is None:
            problems.append((error_field(str(key)), _unknown_field_message(str(key), definition)))
            continue
        try:
            cleaned = clean_value(field, raw)
        except InvalidInput as error:
            # Named in the message too: the command line and error lists
            # show the message without the form field beside it.
            message = _("%(field)s: %(problem)s") % {
                "field": field.name.get(),
                "problem": error.message,
            }
            problems.append((error_field(field.key), message))
            continue
        if cleaned is None:
            merged.pop(field.key, None)
        else:
            merged[field.key] = cleaned
    for field in definition.fields:
        if field.required and field.key not in merged and not _reported(problems, field.key):
            problems.append(
                (
                    error_field(field.key),
                    _("%(type)s: %(field)s is required.")
                    % {"field": field.name.get(), "type": definition.name.get()},
                )
            )
    if problems:
        raise InvalidFields(problems)
    # In the type's order, so stored JSON and the audit read the same way.
    return {field.key: merged[field.key] for field in definition.fields if field.key in merged}


def _reported(problems: list[tuple[str, str]], key: str) -> bool:
    return any(field == error_field(key) for field, _message in problems)


def _unknown_field_message(key: str, definition: IncidentTypeDefinition) -> str:
    if not definition.fields:
        return _("%(type)s has no field %(field)s; it has no custom fields.") % {
            "type": definition.name.get(),
            "field": key,
        }
    return _("%(type)s has no field %(field)s; its fields are %(fields)s.") % {
        "type": definition.name.get(),
        "field": key,
        "fields": ", ".join(field.key for field in definition.fields),
    }


def clean_value(field: CustomFieldDefinition, raw: object) -> Value | None:
    """One value of the field's kind, None when empty. Strings are accepted
    for every kind (forms and the command line send text)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    cleaner = _CLEANERS[field.kind]
    return cleaner(field, raw)


def _clean_text(field: CustomFieldDefinition, raw: object) -> Value:
    if not isinstance(raw, str):
        raise InvalidInput(_("Write this as text."))
    text = raw.strip()
    if len(text) > FIELD_TEXT_MAX:
        raise InvalidInput(
            _("This can be at most %(limit)d characters.") % {"limit": FIELD_TEXT_MAX}
        )
    return text


def _clean_number(field: CustomFieldDefinition, raw: object) -> Value:
    # bool is an int in Python, and "true" is no count of anything.
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidInput(_("Give a number, e.g. 120 or 2.5."))
    try:
        number = Decimal(raw.strip() if isinstance(raw, str) else repr(raw))
    except InvalidOperation:
        raise InvalidInput(_("Give a number, e.g. 120 or 2.5.")) from None
    if not number.is_finite() or (isinstance(raw, float) and not math.isfinite(raw)):
        raise InvalidInput(_("Give a number, e.g. 120 or 2.5."))
    if abs(number) >= NUMBER_MAX:
        raise InvalidInput(_("This number is too large."))
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def _clean_choice(field: CustomFieldDefinition, raw: object) -> Value:
    key = str(raw).strip().lower() if isinstance(raw, str) else None
    if key is None or all(choice.key != key for choice in field.choices):
        raise InvalidInput(
            _("Unknown choice %(value)s: use one of %(choices)s.")
            % {"value": raw, "choices": ", ".join(choice.key for choice in field.choices)}
        )
    return key


def _clean_date(field: CustomFieldDefinition, raw: object) -> Value:
    day: date | None = raw if isinstance(raw, date) else None
    if day is None:
        try:
            day = date.fromisoformat(str(raw).strip()) if isinstance(raw, str) else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidInput(_("%(value)s is not a date; use YYYY-MM-DD.") % {"value": raw})
    problem = date_problem(day)
    if problem is not None:
        raise InvalidInput(problem)
    return day.isoformat()


def _clean_person(field: CustomFieldDefinition, raw: object) -> Value:
    username = str(raw).strip() if isinstance(raw, str) else ""
    if not username or not User.objects.filter(username=username, is_active=True).exists():
        raise InvalidInput(_("There is no active user named %(username)s.") % {"username": raw})
    return username


def _clean_yes_no(field: CustomFieldDefinition, raw: object) -> Value:
    if isinstance(raw, bool):
        return raw
    word = raw.strip().lower() if isinstance(raw, str) else None
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise InvalidInput(_("Answer yes or no (true or false)."))


_CLEANERS = {
    "text": _clean_text,
    "number": _clean_number,
    "choice": _clean_choice,
    "date": _clean_date,
    "person": _clean_person,
    "yes-no": _clean_yes_no,
}


# --- saying values ------------------------------------------------------------------


def display_value(field: CustomFieldDefinition | None, value: Any) -> str:
    """A stored value as the reader says it: yes or no, the choice's name,
    the date in their language's format, the person's name."""
    if value is None or value == "":
        return _("(none)")
    if field is None:
        return str(value)
    if field.kind == "yes-no":
        return _("Yes") if value is True else _("No")
    if field.kind == "choice":
        choice = next((c for c in field.choices if c.key == value), None)
        return choice.name.get() if choice is not None else str(value)
    if field.kind == "date":
        try:
            return str(date_format(date.fromisoformat(str(value)), "DATE_FORMAT"))
        except ValueError:
            return str(value)
    if field.kind == "person":
        user = User.objects.filter(username=value).first()
        return str(user.get_full_name() or user.get_username()) if user else str(value)
    if field.kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(number_format(value, force_grouping=True))
    return str(value)


@dataclass(frozen=True)
class ShownField:
    """One field of an incident as a page or the API shows it."""

    key: str
    name: str
    kind: str
    required: bool
    value: Any
    text: str


def shown_fields(type_key: str, values: Mapping[str, Any]) -> list[ShownField]:
    """The type's fields in its order (empty ones included, so a page can
    show what is missing), then any stored value the type no longer
    defines, under its key."""
    shown = [
        ShownField(
            key=field.key,
            name=field.name.get(),
            kind=field.kind,
            required=field.required,
            value=values.get(field.key),
            text=display_value(field, values.get(field.key)),
        )
        for field in field_definitions(type_key)
    ]
    known = {item.key for item in shown}
    shown += [
        ShownField(key=key, name=key, kind="", required=False, value=value, text=str(value))
        for key, value in values.items()
        if key not in known
    ]
    return shown


def field_name(type_key: str, key: str) -> str:
    field = find_field(key, type_key) or find_field(key)
    return field.name.get() if field is not None else key


def describe_field_value(type_key: str, key: str, value: Any) -> str:
    return display_value(find_field(key, type_key) or find_field(key), value)

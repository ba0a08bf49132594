"""What every input must be for Hotwash to store it and compute with it.

Two rules, shared by the API, the web pages and the search parameters, so a
value is refused with the same message wherever it comes from:

- Text must be storable: no NUL character (PostgreSQL text cannot hold
  U+0000) and no lone UTF-16 surrogate (U+D800 to U+DFFF on their own are
  not characters: they cannot be encoded as UTF-8, so neither database nor
  any page could hold them). Such text is refused rather than cleaned up:
  silently dropping a character changes what someone wrote or searched for,
  and it would make SQLite keep what PostgreSQL cannot, so the two databases
  would disagree about the same request.
- Dates and times must fall within EARLIEST_DATE and LATEST_DATE. Python
  cannot represent a time before year 1 or after year 9999, so a time at
  either edge breaks as soon as it is converted to another time zone (year 1
  at +14:00 is year 0 in UTC) or has a day added ("until 9999-12-31" means
  before 10000-01-01). No incident, action item or search needs more than
  this range, and within it every conversion and every step of date
  arithmetic Hotwash does stays representable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from django.utils.translation import gettext as _

from hotwash.core.errors import InvalidInput

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)

D = TypeVar("D", bound=date)


# --- text -------------------------------------------------------------------------


def text_problem(text: str, field: str | None = None) -> str | None:
    """Why `text` (the value of `field`, or somewhere in the request when
    None) cannot be stored, as a sentence for a person; None if it can."""
    if "\x00" in text:
        if field is None:
            return _(
                "The request contains a NUL character (U+0000), which Hotwash cannot store; "
                "remove it and try again."
            )
        return _(
            "The field %(field)s contains a NUL character (U+0000), which Hotwash cannot "
            "store; remove it and try again."
        ) % {"field": printable(field)}
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        if field is None:
            return _(
                "The request contains a lone UTF-16 surrogate (U+D800 to U+DFFF), which is "
                "not a character; send valid Unicode text."
            )
        return _(
            "The field %(field)s contains a lone UTF-16 surrogate (U+D800 to U+DFFF), which "
            "is not a character; send valid Unicode text."
        ) % {"field": printable(field)}
    return None


def printable(text: str) -> str:
    """`text` safe to show in any page or message: NUL and lone surrogates
    written as escapes (a lone surrogate cannot even be encoded in a page)."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def unstorable_texts(document: Any) -> Iterator[tuple[str | None, str]]:
    """(field, problem) for each string in a parsed JSON document, mapping
    keys included, at any depth, that cannot be stored. The field is the
    top-level key the string sits under: what the client calls the field.
    Iterative, so no nesting that the JSON parser accepted can exhaust the
    stack."""
    pending: list[tuple[str | None, Any]] = [(None, document)]
    while pending:
        field, value = pending.pop()
        if isinstance(value, str):
            problem = text_problem(value, field)
            if problem is not None:
                yield field, problem
        elif isinstance(value, Mapping):
            for key, item in reversed(list(value.items())):
                name = str(key) if field is None else field
                pending.append((name, item))
                pending.append((name, str(key)))
        elif isinstance(value, list | tuple):
            pending.extend((field, item) for item in reversed(value))


# --- dates and times -----------------------------------------------------------------


def date_problem(value: date) -> str | None:
    """Why `value` (a date, or a date and time in any zone) is out of range,
    or None. A time is judged by its own calendar day, before any conversion
    to another zone, which is what could not be represented."""
    day = value.date() if isinstance(value, datetime) else value
    if EARLIEST_DATE <= day <= LATEST_DATE:
        return None
    return out_of_range(value.isoformat())


def out_of_range(value: str, field: str | None = None) -> str:
    """The message for a date or time (as sent) outside the range."""
    limits = {
        "value": printable(value),
        "earliest": EARLIEST_DATE.isoformat(),
        "latest": LATEST_DATE.isoformat(),
    }
    if field is None:
        return _("%(value)s is out of range: use a date between %(earliest)s and %(latest)s.") % (
            limits
        )
    return _(
        "The field %(field)s is out of range (%(value)s): use a date between %(earliest)s "
        "and %(latest)s."
    ) % {**limits, "field": printable(field)}


def check_date(value: D, field: str | None = None) -> D:
    """`value` itself (a date or a datetime), or InvalidInput for `field`
    when it is out of range. The message does not name the field: forms
    show it beside the field, and the API's error says which one."""
    problem = date_problem(value)
    if problem is not None:
        raise InvalidInput(problem, field=field)
    return value

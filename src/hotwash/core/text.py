"""Free text as people type it (titles, names, reasons, comments): one place
for trimming, folding white space and refusing what is too long, so a title
is cleaned the same way on every page, in the API and on the command line.

Each caller keeps its own messages where the wording names the thing ("Give
the incident a title."); the length limit stays with the model it guards.
"""

from __future__ import annotations

from django.db.models import Choices
from django.utils.translation import gettext as _

from hotwash.core.errors import InvalidInput


def one_line(text: str) -> str:
    """Every run of white space (line breaks included) as one space, none at
    either end: for text shown on one line, such as a title or a tag."""
    return " ".join(text.split())


def clean_text(
    value: object,
    *,
    field: str,
    limit: int,
    missing: str = "",
    too_long: str = "",
    fold: bool = False,
) -> str:
    """`value` as text without surrounding white space (with `fold`, on one
    line), at most `limit` characters long. Empty text is refused with
    `missing` when one is given, else allowed. `too_long` may use
    %(length)d and %(limit)d."""
    text = str(value or "")
    text = one_line(text) if fold else text.strip()
    if not text and missing:
        raise InvalidInput(missing, field=field)
    if len(text) > limit:
        message = too_long or _("This text is %(length)d characters long; the limit is %(limit)d.")
        raise InvalidInput(message % {"length": len(text), "limit": limit}, field=field)
    return text


def clean_title(
    value: object, *, limit: int, missing: str, too_long: str = "", fold: bool = False
) -> str:
    """A required title of at most `limit` characters."""
    return clean_text(
        value,
        field="title",
        limit=limit,
        missing=missing,
        too_long=too_long or _("The title is %(length)d characters long; the limit is %(limit)d."),
        fold=fold,
    )


def clean_choice(value: object, choices: type[Choices], *, field: str, message: str) -> str:
    """One of `choices`' values, whatever its case or surrounding spaces.
    Anything else is refused with `message`, which may use %(value)s (as
    given) and %(choices)s (the values, comma-separated)."""
    text = str(value or "").strip().lower()
    if text in choices.values:
        return text
    raise InvalidInput(
        message % {"value": value, "choices": ", ".join(map(str, choices.values))}, field=field
    )

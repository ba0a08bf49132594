"""Naming a stored choice value for people."""

from __future__ import annotations

from django.db.models import Choices


def choice_label(choices: type[Choices], value: object) -> str:
    """The translated label of `value` among `choices`, or the value itself
    when it is not (or no longer) one of them: old timeline entries and
    audit records keep values a later version may have dropped."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)

"""Environment variables named by an admin, in the database.

A tracker's token or a webhook's signing secret can come from an
environment variable whose *name* an admin types in. Hotwash then reads that
variable and sends it to an address the same admin chose, so any variable
could be exfiltrated: `HOTWASH_SMTP_URL` (with the SMTP password),
`DATABASE_URL`, cloud credentials. Names stored in the database must
therefore start with HOTWASH_SECRET_ (and not be HOTWASH_SECRET_KEY, the
secret key itself), checked when saved and again when read, so a row saved
before the rule is refused rather than read.

Names an operator writes in configuration files (HOTWASH_*_FILE settings)
are not restricted: the operator already controls the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models
from django.db.models import QuerySet
from django.utils.translation import gettext as _

PREFIX = "HOTWASH_SECRET_"
RESERVED = frozenset({"HOTWASH_SECRET_KEY"})
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

M = TypeVar("M", bound=models.Model)


class SecretEnvRefused(Exception):
    """A stored variable name that Hotwash will not read. The message names
    the variable, never its value."""


def env_name_problem(name: str) -> str | None:
    """What is wrong with `name` as a variable an admin stores, or None."""
    if not NAME.fullmatch(name):
        return _("Give the variable's name: letters, digits and underscores.")
    if name in RESERVED:
        return _("%(name)s holds Hotwash's own secret key; name another variable.") % {"name": name}
    if not name.startswith(PREFIX) or name == PREFIX:
        return _(
            "The variable's name must start with %(prefix)s (for example "
            "%(prefix)sGITHUB_TOKEN), so that no other part of Hotwash's environment "
            "can be sent out."
        ) % {"prefix": PREFIX}
    return None


def validate_secret_env_name(value: str) -> None:
    """The model validator of fields holding such a name (empty is allowed;
    whether one is required is the model's business)."""
    if value and (problem := env_name_problem(value)) is not None:
        raise ValidationError(problem, code="secret_env_name")


def read_secret_env(name: str) -> str:
    """The value of the variable `name` (empty if unset), if the name is one
    an admin may store; SecretEnvRefused otherwise."""
    if (problem := env_name_problem(name)) is not None:
        raise SecretEnvRefused(
            _("Hotwash does not read the environment variable %(name)s: %(problem)s")
            % {"name": name, "problem": problem}
        )
    # The one read of the environment outside settings.py, on purpose: which
    # variable to read is only known from a database row, long after the
    # settings were loaded, and a secret kept out of the settings is never
    # shown among them (Django's debug page lists every setting).
    return os.environ.get(name, "")


def operator_env_name_problem(name: str) -> str | None:
    """What is wrong with `name` as a variable an operator names in a
    configuration file (a notification rule), or None: any well-formed name
    except Hotwash's own secret key."""
    if not NAME.fullmatch(name):
        return _("Give the variable's name: letters, digits and underscores.")
    if name in RESERVED or name == "HOTWASH_SECRET_KEY":
        return _("%(name)s holds Hotwash's own secret key; name another variable.") % {"name": name}
    return None


def read_operator_env(name: str) -> str:
    """The value of a variable an operator's configuration file names
    (empty if unset). Callers check that the name really comes from that
    file (not from a database row) before calling this."""
    if (problem := operator_env_name_problem(name)) is not None:
        raise SecretEnvRefused(
            _("Hotwash does not read the environment variable %(name)s: %(problem)s")
            % {"name": name, "problem": problem}
        )
    return os.environ.get(name, "")


def stored_rows(queryset: QuerySet[M]) -> list[M]:
    """The rows of `queryset`, or none when the table does not exist yet
    (system checks run before `migrate` creates it)."""
    try:
        return list(queryset)
    except DatabaseError:
        return []


def disallowed_names(queryset: QuerySet[M], fields: Sequence[str]) -> list[tuple[M, str, str]]:
    """(row, field, name) for every stored name the rule refuses, for the
    system checks that flag rows saved before it (never changing them)."""
    return [
        (row, field, getattr(row, field))
        for row in stored_rows(queryset)
        for field in fields
        if getattr(row, field) and env_name_problem(getattr(row, field)) is not None
    ]

"""The error the operations' commands report: what went wrong, for the
operator, and that nothing was changed (or what was)."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from hotwash.core.errors import DomainError


class OperationFailed(DomainError):
    """A backup or restore that could not be done; the message says why and
    what to do."""


def not_a_backup(path: Path) -> OperationFailed:
    return OperationFailed(
        _("%(path)s is not a Hotwash backup (made by `hotwash backup`).") % {"path": path}
    )

"""Building blocks for the client commands' human-readable output, from
API JSON (`hotwash.core.client_command`).

The API is the contract, so everything here reads dictionaries defensively:
a missing field is left out of the output rather than crashing the command.
Times are always shown with their zone: the configured one, else the
machine's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from django.utils import timezone


def person(value: Any) -> str:
    """A user as the API sends it: a username, an object, or null (Hotwash)."""
    if value is None:
        return "Hotwash"
    if isinstance(value, Mapping):
        return str(value.get("username") or value.get("name") or value.get("id") or "?")
    return str(value)


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Clock:
    """Formats times for the reader. `zone` None means the machine's zone,
    applied per instant so daylight-saving changes come out right."""

    zone: tzinfo | None = None
    now: datetime = field(default_factory=timezone.now)

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone)

    def time(self, value: datetime) -> str:
        local = self.local(value)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"

    def short(self, value: datetime) -> str:
        """Hour and minute for today's times, the date too for older ones."""
        local = self.local(value)
        if local.date() == self.local(self.now).date():
            return f"{local:%H:%M} {local.tzname()}"
        return self.time(value)


def columns(rows: list[list[str]]) -> list[str]:
    """Rows with each column padded to its widest cell; the last column is
    left ragged."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        for row in rows
    ]

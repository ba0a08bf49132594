"""What kind of backup a file is, from its first bytes, so a restore can
say "this is a PostgreSQL backup" instead of failing half-way."""

from __future__ import annotations

from enum import Enum
from pathlib import Path


class BackupFormat(Enum):
    SQLITE = b"SQLite format 3\x00"  # a SQLite database file
    POSTGRES = b"PGDMP"  # pg_dump's custom format


def format_of(path: Path) -> BackupFormat | None:
    with path.open("rb") as handle:
        head = handle.read(16)
    return next((kind for kind in BackupFormat if head.startswith(kind.value)), None)

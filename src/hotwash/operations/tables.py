"""Counting rows in every table: what a backup and a restore report, and
how a restore drill compares a restored database with its source."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from django.db import DEFAULT_DB_ALIAS, connections


class Cursor(Protocol):
    """The part of a DB-API cursor row counting uses (sqlite3's, Django's)."""

    def execute(self, sql: str, /) -> Any: ...

    def fetchone(self) -> Any: ...


def count_rows(
    cursor: Cursor, tables: Iterable[str], quote: Callable[[str], str]
) -> dict[str, int]:
    """Rows per table, one `count(*)` each, in the cursor's transaction."""
    counts: dict[str, int] = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")
        row = cursor.fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


def database_rows() -> dict[str, int]:
    """Rows in every table of the default database."""
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return count_rows(cursor, tables, connection.ops.quote_name)

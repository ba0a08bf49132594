"""Backup and restore on PostgreSQL, through `pg_dump` and `pg_restore`.

PostgreSQL's own tools, in the custom format (compressed, restorable table
by table, read by `pg_restore`). `pg_dump` reads one snapshot while the
server keeps writing. Hotwash exports that snapshot from a repeatable-read
transaction of its own and hands it to `pg_dump --snapshot`, so the row
counts it prints are those of the archive.

The connection comes from Django's settings (DATABASE_URL) and reaches the
tools through libpq's environment variables, the password included: never
on a command line, where `ps` would show it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.operations.errors import OperationFailed, not_a_backup
from hotwash.operations.formats import BackupFormat, format_of
from hotwash.operations.tables import count_rows, database_rows

# Connection options (DATABASE_URL's query string) libpq also reads from
# the environment.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


def dump(database: Mapping[str, Any], out: Path) -> dict[str, int]:
    """`pg_dump` the database into `out`; rows per table, as dumped."""
    pg_dump = _program("pg_dump")
    connection = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic(using=DEFAULT_DB_ALIAS), connection.cursor() as cursor:
        # The first statement of the transaction fixes its snapshot; pg_dump
        # reads the same one while this transaction stays open.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchone()[0])
        tables = connection.introspection.table_names(cursor)
        rows = count_rows(cursor, tables, connection.ops.quote_name)
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={out}",
            ],
            database,
        )
    return rows


def restore(database: Mapping[str, Any], source: Path) -> dict[str, int]:
    """`pg_restore` the archive `source` into the database, which must have
    no tables; rows per table, as restored. All or nothing: one transaction."""
    _check_archive(source)
    pg_restore = _program("pg_restore")
    listing = _run([pg_restore, "--list", str(source)], database)
    if not any("TABLE DATA" in line and "django_migrations" in line for line in listing):
        raise not_a_backup(source)
    _check_empty(database)
    _run(
        [
            pg_restore,
            "--no-password",
            "--exit-on-error",
            "--single-transaction",
            # Owned by the role that restores, whichever role owned the
            # tables where the backup was made.
            "--no-owner",
            "--no-privileges",
            f"--dbname={database['NAME']}",
            str(source),
        ],
        database,
    )
    return database_rows()


def describe(database: Mapping[str, Any]) -> str:
    """The database, for people: name on host:port."""
    host = database.get("HOST") or "localhost"
    port = database.get("PORT") or 5432
    return f"{database['NAME']} on {host}:{port}"


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise OperationFailed(
            _(
                "%(program)s is not installed or not on the PATH. Install PostgreSQL's client "
                "programs, of the server's major version or newer (Debian and Ubuntu: "
                "apt-get install postgresql-client), or run it by hand as docs/operations.md "
                'shows (section "Backup and restore").'
            )
            % {"program": name}
        )
    return found


def _environment(database: Mapping[str, Any]) -> dict[str, str]:
    """This process's environment plus the connection, as libpq reads it."""
    settings = {
        "PGHOST": database.get("HOST"),
        "PGPORT": database.get("PORT"),
        "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"),
        "PGDATABASE": database.get("NAME"),
    }
    options = database.get("OPTIONS") or {}
    settings |= {variable: options.get(option) for option, variable in LIBPQ_OPTIONS.items()}
    return {**os.environ, **{key: str(value) for key, value in settings.items() if value}}


def _run(command: list[str], database: Mapping[str, Any]) -> list[str]:
    """Run a PostgreSQL client program; its output lines, or its error."""
    program = Path(command[0]).name
    try:
        result = subprocess.run(
            command, env=_environment(database), capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise OperationFailed(
            _("%(program)s could not be started: %(reason)s")
            % {"program": program, "reason": exc.strerror}
        ) from None
    if result.returncode != 0:
        raise OperationFailed(
            _("%(program)s failed (exit status %(status)d): %(error)s")
            % {
                "program": program,
                "status": result.returncode,
                "error": result.stderr.strip() or result.stdout.strip(),
            }
        )
    return result.stdout.splitlines()


def _check_archive(source: Path) -> None:
    kind = format_of(source)
    if kind is BackupFormat.SQLITE:
        raise OperationFailed(
            _(
                "%(path)s is a SQLite backup; restore it with DATABASE_URL naming a new "
                "SQLite file. A SQLite backup cannot be restored into PostgreSQL."
            )
            % {"path": source}
        )
    if kind is not BackupFormat.POSTGRES:
        raise not_a_backup(source)


def _check_empty(database: Mapping[str, Any]) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if tables:
        raise OperationFailed(
            ngettext(
                "The database %(database)s already has %(count)d table; restore goes only "
                "into an empty database, so nothing was changed. Create a new one (createdb "
                "NAME), point DATABASE_URL at it and restore again.",
                "The database %(database)s already has %(count)d tables; restore goes only "
                "into an empty database, so nothing was changed. Create a new one (createdb "
                "NAME), point DATABASE_URL at it and restore again.",
                len(tables),
            )
            % {"database": describe(database), "count": len(tables)}
        )

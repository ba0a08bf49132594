"""Backup and restore on SQLite, through SQLite's online backup API.

`sqlite3.Connection.backup` with the default `pages=-1` copies the whole
database in one step inside one read transaction: in WAL mode writers keep
committing meanwhile (readers never block them), and the copy is the
database as of that transaction's start, never half a commit. Copying the
file with `cp` instead can miss what is still in the `-wal` file, or catch
a checkpoint half-way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.core.sqlite3.base import WRITER_LOCK_SUFFIX
from hotwash.operations.errors import OperationFailed, not_a_backup
from hotwash.operations.formats import BackupFormat, format_of
from hotwash.operations.tables import count_rows

# Files SQLite keeps beside a database while it is in use.
COMPANIONS = ("-wal", "-shm", "-journal")


def refuse_live_file(database: Mapping[str, Any], out: Path) -> None:
    """A backup written over the live database (or its journal) would
    destroy it, --overwrite or not."""
    live = _live_path(database)
    beside = (*COMPANIONS, WRITER_LOCK_SUFFIX)
    if out.resolve() in (live, *(Path(str(live) + suffix) for suffix in beside)):
        raise OperationFailed(
            _("%(path)s is the database itself; write the backup to another file.") % {"path": out}
        )


def copy_out(database: Mapping[str, Any], out: Path) -> dict[str, int]:
    """Copy the live database into the (empty) file `out`; rows per table."""
    live = _live_path(database)
    if not live.exists():
        raise OperationFailed(
            _("The database %(path)s does not exist: nothing to back up.") % {"path": live}
        )
    # Read-only: a backup never writes to the database it copies.
    source = _connect(live, read_only=True)
    try:
        target = _connect(out)
        try:
            source.backup(target)
            _self_contained(target)
            return _rows(target)
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise OperationFailed(
            _("The backup of %(path)s failed: %(reason)s") % {"path": live, "reason": exc}
        ) from None
    finally:
        source.close()


def restore(database: Mapping[str, Any], source: Path) -> dict[str, int]:
    """Copy the backup `source` into the database file, which must not exist
    yet or have no tables; rows per table. Changes nothing when it refuses."""
    target_path = _live_path(database)
    backup = _open_backup(source)
    try:
        created = _check_empty_target(target_path)
        try:
            target = _connect(target_path)
            try:
                backup.backup(target)
                # The way Hotwash runs it (settings.py sets it on every
                # connection too); the backup file itself is in rollback mode.
                target.execute("PRAGMA journal_mode=WAL")
                return _rows(target)
            finally:
                target.close()
        except sqlite3.Error as exc:
            if created:
                _remove(target_path)
            raise OperationFailed(
                _("The restore into %(path)s failed: %(reason)s")
                % {"path": target_path, "reason": exc}
            ) from None
    finally:
        backup.close()


def _live_path(database: Mapping[str, Any]) -> Path:
    name = str(database["NAME"] or "")
    if name in ("", ":memory:") or name.startswith("file::memory:"):
        raise OperationFailed(
            _(
                "The database is in memory, so there is nothing to back up or restore into; "
                "set DATABASE_URL to a SQLite file (sqlite:////path/to/hotwash.sqlite3)."
            )
        )
    return Path(name).resolve()


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=20)
    else:
        connection = sqlite3.connect(path, timeout=20)
    connection.execute("PRAGMA busy_timeout=20000")
    return connection


def _self_contained(connection: sqlite3.Connection) -> None:
    """Rollback-journal mode: the backup is one file, readable anywhere
    (a WAL-mode file needs a writable folder beside it for its -shm)."""
    connection.execute("PRAGMA journal_mode=DELETE")
    _check_integrity(connection)


def _check_integrity(connection: sqlite3.Connection) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()
    if not result or result[0] != "ok":
        raise sqlite3.DatabaseError(_("integrity check: %(result)s") % {"result": result})


def _rows(connection: sqlite3.Connection) -> dict[str, int]:
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return count_rows(connection.cursor(), tables, _quote)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _open_backup(source: Path) -> sqlite3.Connection:
    """The backup, opened read-only, once it is known to be a sound SQLite
    database of Hotwash's."""
    kind = format_of(source)
    if kind is BackupFormat.POSTGRES:
        raise OperationFailed(
            _(
                "%(path)s is a PostgreSQL backup (pg_dump); restore it with DATABASE_URL "
                "naming an empty PostgreSQL database."
            )
            % {"path": source}
        )
    if kind is not BackupFormat.SQLITE:
        raise not_a_backup(source)
    connection = _connect(source.resolve(), read_only=True)
    try:
        _check_integrity(connection)
        found = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
        ).fetchone()[0]
    except sqlite3.Error as exc:
        connection.close()
        raise OperationFailed(
            _("%(path)s is damaged: %(reason)s") % {"path": source, "reason": exc}
        ) from None
    if not found:
        connection.close()
        raise not_a_backup(source)
    return connection


def _check_empty_target(path: Path) -> bool:
    """Refuse a target with tables; True when the file does not exist yet
    (the restore creates it, and removes it again if it fails)."""
    if not path.exists():
        leftovers = [
            str(path) + suffix for suffix in COMPANIONS if Path(str(path) + suffix).exists()
        ]
        if leftovers:
            # A journal without its database would be replayed into the restored one.
            raise OperationFailed(
                _(
                    "%(path)s does not exist but %(files)s does, left by an earlier database; "
                    "move it away before restoring."
                )
                % {"path": path, "files": ", ".join(leftovers)}
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        return True
    connection = _connect(path, read_only=True)
    try:
        tables = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchone()[0]
    except sqlite3.Error as exc:
        raise OperationFailed(
            _(
                "%(path)s exists and is not an empty SQLite database (%(reason)s); "
                "restore goes only into a new file."
            )
            % {"path": path, "reason": exc}
        ) from None
    finally:
        connection.close()
    if tables:
        raise OperationFailed(
            ngettext(
                "The database %(path)s already has %(count)d table; restore goes only into an "
                "empty database, so nothing was changed. Point DATABASE_URL at a new file "
                "(sqlite:////path/to/new.sqlite3) and restore again.",
                "The database %(path)s already has %(count)d tables; restore goes only into an "
                "empty database, so nothing was changed. Point DATABASE_URL at a new file "
                "(sqlite:////path/to/new.sqlite3) and restore again.",
                tables,
            )
            % {"path": path, "count": tables}
        )
    return False


def _remove(path: Path) -> None:
    for name in (str(path), *(str(path) + suffix for suffix in COMPANIONS)):
        Path(name).unlink(missing_ok=True)

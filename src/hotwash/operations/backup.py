"""Backup and restore: what `hotwash backup` and `hotwash restore` do.

A backup is one file in the database's own format, so the usual tools read
it too: on SQLite a SQLite database file made with SQLite's online backup
API, on PostgreSQL a `pg_dump` archive in the custom format. Both are taken
from one consistent snapshot while the server keeps serving and writing
(engine details in `backup_sqlite` and `backup_postgres`).

A restore goes only into an empty database: a SQLite file that does not
exist yet (or has no tables), a PostgreSQL database without tables. It never
merges into or overwrites data, so a mistyped `DATABASE_URL` cannot destroy
an instance. After restoring it runs the migrations, so a backup made by an
older release serves with the installed one; one made by a newer release
is restored but not migrated, and the command says which release to
install.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from hotwash.operations import backup_postgres, backup_sqlite
from hotwash.operations.errors import OperationFailed


@dataclass(frozen=True)
class BackupWritten:
    path: Path
    size: int
    rows: dict[str, int]  # table name -> rows, as in the backup


@dataclass(frozen=True)
class Restored:
    database: str  # for people: a SQLite file, or name@host:port
    rows: dict[str, int]  # table name -> rows, as restored
    migrated: list[str]  # the migrations applied afterwards, "app.name"


def backup(out: Path, *, overwrite: bool = False) -> BackupWritten:
    """Write a backup of the default database to `out`.

    The file appears complete or not at all: it is written beside `out` and
    moved into place at the end. An existing `out` is kept unless `overwrite`.
    """
    database = settings.DATABASES[DEFAULT_DB_ALIAS]
    postgres = _is_postgres(database["ENGINE"])
    if not postgres:
        backup_sqlite.refuse_live_file(database, out)
    if out.exists() and not overwrite:
        raise _exists(out)
    if out.is_dir():
        raise OperationFailed(_("%(path)s is a folder; give a file name.") % {"path": out})
    with _partial_file(out) as partial:
        if postgres:
            rows = backup_postgres.dump(database, partial)
        else:
            rows = backup_sqlite.copy_out(database, partial)
        _move_into_place(partial, out, overwrite=overwrite)
    return BackupWritten(out, out.stat().st_size, rows)


def restore(source: Path) -> Restored:
    """Restore the backup `source` into the default database, which must be
    empty, then bring its schema up to date."""
    if not source.is_file():
        raise OperationFailed(_("%(path)s is not a file.") % {"path": source})
    database = settings.DATABASES[DEFAULT_DB_ALIAS]
    if _is_postgres(database["ENGINE"]):
        rows = backup_postgres.restore(database, source)
        where = backup_postgres.describe(database)
    else:
        rows = backup_sqlite.restore(database, source)
        where = str(database["NAME"])
    return Restored(where, rows, bring_up_to_date())


def bring_up_to_date() -> list[str]:
    """Apply the migrations a restored database lacks; return their names.

    Refuses a database that has migrations this release does not know: it
    was made by a newer release, whose schema this code cannot serve.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    connection.close()  # the restore changed the database behind its back
    executor = MigrationExecutor(connection)
    loader = executor.loader
    unknown = sorted(
        f"{app}.{name}"
        for app, name in loader.applied_migrations
        if app in loader.migrated_apps and (app, name) not in loader.disk_migrations
    )
    if unknown:
        raise OperationFailed(
            _(
                "The backup is restored, but it was made by a newer release of Hotwash: this "
                "one does not know its migrations %(migrations)s. Install that release (or a "
                "newer one), then run `hotwash migrate`."
            )
            % {"migrations": ", ".join(unknown)}
        )
    plan = executor.migration_plan(loader.graph.leaf_nodes())
    call_command("migrate", interactive=False, verbosity=0)
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def _is_postgres(engine: str) -> bool:
    return engine == "django.db.backends.postgresql"


def _exists(out: Path) -> OperationFailed:
    return OperationFailed(
        _("%(path)s already exists; choose another name, or add --overwrite to replace it.")
        % {"path": out}
    )


@contextlib.contextmanager
def _partial_file(out: Path) -> Iterator[Path]:
    """A new empty file beside `out` (same file system, so moving it into
    place is atomic), removed afterwards if it is still there."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    except OSError as exc:
        raise OperationFailed(
            _("Cannot write %(path)s: %(reason)s") % {"path": out, "reason": exc.strerror}
        ) from None
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)


def _move_into_place(partial: Path, out: Path, *, overwrite: bool) -> None:
    if overwrite:
        partial.replace(out)
        return
    try:
        # A hard link fails if `out` appeared meanwhile: never clobbered, even
        # by two backups racing for one name.
        os.link(partial, out)
    except FileExistsError:
        raise _exists(out) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
            raise
        # A file system without hard links: check, then move.
        if out.exists():
            raise _exists(out) from None
        partial.replace(out)

"""Throwaway databases for `hotwash` commands run as real processes, the way
an operator runs them (tests/operations/): a SQLite file in a temporary
folder, or a PostgreSQL database with a unique name, created on the suite's
server and dropped afterwards. `empty_database` holds nothing (a restore
wants none); `migrated_database` has the current schema."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
from django.conf import settings

from hotwash.operations.tables import count_rows
from tests.support.servers import copy_sqlite, migrated_template

HOTWASH = [sys.executable, "-m", "hotwash"]
ROOT = Path(__file__).resolve().parents[2]


def on_postgres() -> bool:
    return str(settings.DATABASES["default"]["ENGINE"]).endswith("postgresql")


@dataclass(frozen=True)
class Database:
    """A database and the environment that points `hotwash` at it."""

    url: str
    data_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("HOTWASH_")}
        env.update(
            DATABASE_URL=self.url,
            HOTWASH_DATA_DIR=str(self.data_dir),
            PYTHONUNBUFFERED="1",
            # The tests' own modules (tests.support) importable by `-c` code.
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        )
        env.update(extra)
        return env

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """`hotwash ARGS` against this database, whatever its exit status."""
        return subprocess.run(
            [*HOTWASH, *args],
            env=self.env(**env),
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def ok(self, *args: str) -> str:
        """`hotwash ARGS`, which must succeed; its standard output."""
        result = self.run(*args)
        assert result.returncode == 0, f"hotwash {' '.join(args)}:\n{result.stdout}{result.stderr}"
        return result.stdout

    def shell(self, code: str) -> str:
        return self.ok("shell", "--no-imports", "-c", code)

    def rows(self) -> dict[str, int]:
        """Rows per table, as `hotwash restore` counts them (the same
        function, over the database's own driver), read from this process:
        a `hotwash shell` for each look would cost a second or two of start-up."""
        with self.cursor() as cursor:
            cursor.execute(TABLES_SQLITE if self.on_sqlite else TABLES_POSTGRES)
            tables = [str(name) for (name,) in cursor.fetchall()]
            return count_rows(cursor, tables, _quote)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.cursor() as cursor:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]

    @property
    def on_sqlite(self) -> bool:
        return self.url.startswith("sqlite:")

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        """A cursor of the database's driver (not Django's, which the test
        database's guard would stop), closed afterwards. A SQLite file that
        does not exist yet is not created by looking."""
        if self.on_sqlite:
            path = Path(str(dj_database_url.parse(self.url)["NAME"]))
            target = path.as_uri() + "?mode=ro" if path.exists() else ":memory:"
            with contextlib.closing(sqlite3.connect(target, uri=path.exists())) as lite:
                yield lite.cursor()
            return
        with psycopg.connect(self.url) as postgres, postgres.cursor() as cursor:
            yield cursor


# The tables Django's introspection lists (no views, no SQLite internals).
TABLES_SQLITE = (
    "SELECT name FROM sqlite_master WHERE type = 'table' "
    "AND name != 'sqlite_sequence' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
)
TABLES_POSTGRES = (
    "SELECT c.relname FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'pg_toast') "
    "AND pg_catalog.pg_table_is_visible(c.oid)"
)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextlib.contextmanager
def empty_database(folder: Path, name: str) -> Iterator[Database]:
    """A database of the suite's kind with nothing in it (on SQLite, a file
    that does not exist yet), removed afterwards."""
    data_dir = folder / name
    data_dir.mkdir(parents=True, exist_ok=True)
    if not on_postgres():
        yield Database(f"sqlite:///{data_dir / 'hotwash.sqlite3'}", data_dir)
        return
    with _postgres_database(name, data_dir) as database:
        yield database


@contextlib.contextmanager
def migrated_database(folder: Path, name: str) -> Iterator[Database]:
    """A database of the suite's kind with the current schema and no data:
    a copy of the migrated template (tests.support.servers), which is what
    `hotwash migrate` on an empty database gives, without running every
    migration again."""
    data_dir = folder / name
    data_dir.mkdir(parents=True, exist_ok=True)
    if not on_postgres():
        path = data_dir / "hotwash.sqlite3"
        copy_sqlite(Path(migrated_template()), path)
        yield Database(f"sqlite:///{path}", data_dir)
        return
    with _postgres_database(name, data_dir, template=migrated_template()) as database:
        yield database


@contextlib.contextmanager
def _postgres_database(name: str, data_dir: Path, template: str = "") -> Iterator[Database]:
    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}"
    database = f"hotwash_ops_{name}_{uuid.uuid4().hex[:10]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    _admin(f"{server}/postgres", f'CREATE DATABASE "{database}"{copy_of}')
    try:
        yield Database(f"{server}/{database}", data_dir)
    finally:
        _admin(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _admin(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql.encode())

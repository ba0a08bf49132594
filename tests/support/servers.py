"""Real Hotwash server processes for end-to-end tests.

`hotwash serve` runs in a subprocess against its own throwaway database of
the same kind as the suite's (a SQLite file, or a PostgreSQL database created
for the test and dropped after), so these tests exercise exactly what a
deployment runs: granian, the WSGI app, the live-update listener.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings

HOTWASH = [sys.executable, "-m", "hotwash"]
START_TIMEOUT = 60.0
# How often a stand-in's serve_forever looks for shutdown(): the standard
# library's 0.5 s, paid at the end of each of hundreds of tests, kept a
# test process waiting for half a minute per file.
POLL = 0.05


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerDatabase:
    """A database for server processes, with the environment that names it."""

    url: str
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, input: str | None = None, check: bool = True) -> str:
        """Run a `hotwash` command against this database; return its stdout."""
        result = subprocess.run(
            [*HOTWASH, *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"hotwash {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows read straight from the database (no Django start-up, so it
        can be polled while a server runs)."""
        if self.url.startswith("sqlite:"):
            path = self.url.removeprefix("sqlite:///")
            with contextlib.closing(sqlite3.connect(path, timeout=20)) as connection:
                return list(connection.execute(sql).fetchall())
        import psycopg

        with psycopg.connect(self.url) as connection:
            return list(connection.execute(sql).fetchall())

    def create_user(
        self, username: str, role: str = "responder", password: str = "pw-for-tests-42"
    ) -> str:
        """Create a user and return a fresh API token for them: one process
        (each `hotwash` start costs a couple of seconds of CPU, and the
        suite creates dozens of users), through the same service functions
        as `hotwash createtoken`."""
        out = self.run(
            "shell",
            "-c",
            "from hotwash.accounts.services import create_api_token, create_user;"
            f"print(create_api_token(create_user({username!r}, password={password!r}, role={role!r})))",
        )
        return out.strip().splitlines()[-1]


@contextlib.contextmanager
def server_database(tmp_path: Path) -> Iterator[ServerDatabase]:
    """A migrated database of the suite's kind, deleted afterwards.

    Each one is a copy of a template migrated once per test process (a
    file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL):
    running every migration again for each of these databases cost minutes
    of the suite."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = _server_env(data_dir)
    if _is_postgres():
        db = settings.DATABASES["default"]
        name = f"hotwash_e2e_{uuid.uuid4().hex[:12]}"
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
        _psql(_postgres_admin_url(), f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template()}"')
        try:
            yield ServerDatabase(url, data_dir, {**env, "DATABASE_URL": url})
        finally:
            _psql(_postgres_admin_url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = data_dir / "hotwash.sqlite3"
        copy_sqlite(Path(migrated_template()), path)
        url = f"sqlite:///{path}"
        yield ServerDatabase(url, data_dir, {**env, "DATABASE_URL": url})


def _server_env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "HOTWASH_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("HOTWASH_TEST_DATABASE_NAME", None)
    return env


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's backup API rather than a file copy: it sees the write-ahead
    log too."""
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def _is_postgres() -> bool:
    return str(settings.DATABASES["default"]["ENGINE"]).endswith("postgresql")


def _postgres_admin_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/postgres"


@functools.cache
def migrated_template() -> str:
    """The migrated template of this process: a PostgreSQL database's name or
    a SQLite file's path. Removed when the process exits."""
    folder = Path(tempfile.mkdtemp(prefix="hotwash-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    if _is_postgres():
        db = settings.DATABASES["default"]
        name = f"hotwash_e2e_template_{uuid.uuid4().hex[:12]}"
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
        _psql(_postgres_admin_url(), f'CREATE DATABASE "{name}"')
        atexit.register(
            _psql, _postgres_admin_url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )
        ServerDatabase(url, folder, {**_server_env(folder), "DATABASE_URL": url}).run(
            "migrate", "--no-input", "-v0"
        )
        return name
    path = folder / "hotwash.sqlite3"
    url = f"sqlite:///{path}"
    ServerDatabase(url, folder, {**_server_env(folder), "DATABASE_URL": url}).run(
        "migrate", "--no-input", "-v0"
    )
    return str(path)


def _psql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen[str]
    database: ServerDatabase
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text()


@contextlib.contextmanager
def running_server(
    database: ServerDatabase, *extra_args: str, worker: bool | None = False
) -> Iterator[RunningServer]:
    """`hotwash serve` on a free loopback port; stopped afterwards. Without
    its embedded background worker unless `worker` (None: the server's own
    default, as `make run` starts it): most tests run the worker themselves
    (`hotwash worker --once`) to see what it does."""
    port = free_port()
    log = (database.data_dir / f"server-{port}.log").open("w")
    background = {True: ["--worker"], False: ["--no-worker"], None: []}[worker]
    process = subprocess.Popen(
        [*HOTWASH, "serve", "--host", "127.0.0.1", "--port", str(port), *background, *extra_args],
        env=database.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    log_path = database.data_dir / f"server-{port}.log"
    try:
        _wait_until_up(url, process, log_path)
        yield RunningServer(url, process, database, log_path)
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[str], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"hotwash serve exited early:\n{log_path.read_text()}")
        try:
            # A cheap authenticated endpoint: 401 means Django is up and
            # routing (the OpenAPI document is rebuilt on every call).
            if httpx.get(f"{url}/api/v1/me", timeout=1).status_code in (200, 401):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(
        f"hotwash serve did not answer within {START_TIMEOUT} s:\n{log_path.read_text()}"
    )

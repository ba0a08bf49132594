"""The client commands as a person runs them: `hotwash ...` against a real
`hotwash serve` (tests/cli/test_client.py and each app's test_cli.py).

`Cli.run` runs the command in the test's process, exactly as the console
script does (`hotwash.cli.main` with its arguments, the person's
environment, its own standard streams, its exit status): a `hotwash`
process costs over a second of CPU to start, and these files run a
hundred commands. While it runs, any query fails the test, which proves
what a DATABASE_URL that leads nowhere proves for a process. `Cli.process`
runs one as a real process, for what only a process shows.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from django.db import connections
from django.utils import translation

import hotwash
from hotwash.cli import main
from hotwash.core import process
from tests.support.servers import running_server, server_database

# What `python -m hotwash` puts in sys.argv[0] (Django names the program from it).
MAIN = str(Path(hotwash.__file__).with_name("__main__.py"))

# Users of the module's server; amira sees times in Paris.
MAKE_USERS = """
import json
from hotwash.accounts.services import create_api_token, create_user
users = [("amira", "responder", "Europe/Paris"), ("sam", "responder", "UTC"),
         ("victor", "viewer", "UTC")]
print(json.dumps({name: create_api_token(create_user(name, role=role, timezone_name=zone))
                  for name, role, zone in users}))
"""


@dataclass
class Cli:
    url: str
    tokens: dict[str, str]
    home: Path

    def env(self, user: str = "amira", **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTWASH_", "XDG_"))}
        env.update(
            HOME=str(self.home),
            HOTWASH_DATA_DIR=str(self.home / "data"),
            # Nothing listens there: a client command that opened the
            # database would fail.
            DATABASE_URL="postgres://nobody@127.0.0.1:9/nowhere",
            HOTWASH_URL=self.url,
            HOTWASH_TOKEN=self.tokens[user],
        )
        env.update(extra)
        return {k: v for k, v in env.items() if v != ""}

    def run(self, *args: str, user: str = "amira", **env: str) -> subprocess.CompletedProcess[str]:
        """The command in this process (see the module's docstring)."""
        return run_in_process([MAIN, *args], self.env(user, **env))

    def process(
        self, *args: str, user: str = "amira", **env: str
    ) -> subprocess.CompletedProcess[str]:
        """The command as its own `python -m hotwash` process."""
        return subprocess.run(
            [sys.executable, "-m", "hotwash", *args],
            env=self.env(user, **env),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ok(self, *args: str, user: str = "amira", **env: str) -> str:
        result = self.run(*args, user=user, **env)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        return result.stdout

    def fails(self, *args: str, user: str = "amira", **env: str) -> str:
        result = self.run(*args, user=user, **env)
        assert result.returncode == 1, (result.stdout, result.stderr)
        assert result.stdout == ""
        return result.stderr

    def json(self, *args: str, user: str = "amira", **env: str) -> Any:
        return json.loads(self.ok(*args, "--json", user=user, **env))

    def api(self, user: str = "amira") -> httpx.Client:
        """The API itself, to set the scene faster than the CLI would."""
        return httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {self.tokens[user]}"},
        )

    def declare(self, title: str, **fields: Any) -> str:
        with self.api() as api:
            response = api.post("/incidents", json={"title": title, **fields})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


def run_in_process(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`hotwash` with `argv` in this process, as the console script runs it:
    `env` for the whole environment, empty standard input, what it writes
    and its exit status captured. Whatever the command changes in the
    process (the environment, the active language, the client-only mark)
    is put back."""
    out, err = io.StringIO(), io.StringIO()
    client_only = process.is_client_only()
    status = 0
    with (
        _environment(env),
        _no_queries(),
        translation.override(translation.get_language()),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        _stdin(),
    ):
        try:
            main(argv)
        except SystemExit as exit:
            status = _exit_status(exit, err)
        finally:
            process._process.client_only = client_only
    return subprocess.CompletedProcess(argv, status, out.getvalue(), err.getvalue())


def _exit_status(exit: SystemExit, stderr: io.StringIO) -> int:
    """What the interpreter would exit with (and print) for this SystemExit."""
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code
    stderr.write(f"{exit.code}\n")
    return 1


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _stdin() -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.StringIO("")
    try:
        yield
    finally:
        sys.stdin = saved


def _refuse_query(*args: Any) -> Any:
    raise AssertionError("a client command queried the database; it must only talk HTTP")


@contextlib.contextmanager
def _no_queries() -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(_refuse_query))
        yield


@contextlib.contextmanager
def serving(tmp: Path) -> Iterator[Cli]:
    """What each module of client-command tests starts once: a migrated
    throwaway database in `tmp`, `hotwash serve` on it, MAKE_USERS's people
    with their API tokens, and an empty home folder for the client's file."""
    with server_database(tmp) as database, running_server(database) as server:
        # The last line: `shell` may say what it imported first.
        tokens = json.loads(database.run("shell", "-c", MAKE_USERS).strip().splitlines()[-1])
        home = tmp / "home"
        home.mkdir()
        yield Cli(server.url, tokens, home)

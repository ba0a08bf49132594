"""The client commands as a person runs them: `python -m hotwash ...` as a
subprocess against a real `hotwash serve` (tests/cli/test_client.py and
each app's test_cli.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

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

"""Client commands start without checking the server's configuration
files: faster on every call, and they work where those files are absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from hotwash.cli import CLIENT_COMMANDS
from hotwash.core.client_command import ClientCommand

pytestmark = pytest.mark.database_independent


def test_the_list_is_the_client_commands() -> None:
    client = {
        name
        for name, app in get_commands().items()
        if isinstance(load_command_class(app, name), ClientCommand)
    }
    assert client == CLIENT_COMMANDS


def test_a_client_command_starts_with_a_broken_policy_file_a_server_command_does_not(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "policy.yaml"
    broken.write_text("severities: [this is not a policy\n")
    env = {
        **os.environ,
        "HOTWASH_POLICY_FILE": str(broken),
        "HOTWASH_URL": "http://127.0.0.1:9",
        "HOTWASH_TOKEN": "x",
        "HOME": str(tmp_path),
    }
    client = subprocess.run(
        [sys.executable, "-m", "hotwash", "declare", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert client.returncode == 0, client.stderr
    server = subprocess.run(
        [sys.executable, "-m", "hotwash", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert server.returncode != 0
    assert "policy" in server.stderr.lower()

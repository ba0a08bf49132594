"""The production settings docs/operations.md gives an operator ("Install",
step 3) pass `hotwash check --deploy` without a warning, and compose.yaml
sets the same ones."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# Touches no database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[2]
MARKER = "hotwash.env: production settings"
# In the image (HOTWASH_DATA_DIR) or in compose's optional hotwash.env (mail).
NOT_IN_COMPOSE = {"HOTWASH_DATA_DIR", "HOTWASH_SMTP_URL", "HOTWASH_EMAIL_FROM"}


def documented_settings() -> dict[str, str]:
    """The NAME=value lines of the fenced block that starts with MARKER."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    [block] = [block for block in blocks if MARKER in block.splitlines()[0]]
    lines = [line for line in block.splitlines() if re.match(r"[A-Z_]+=", line)]
    return dict(line.split("=", 1) for line in lines)


def test_the_documented_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    documented = documented_settings()
    assert documented["HOTWASH_PRODUCTION"] == "1"
    # What the operator fills in: the one empty value.
    assert documented["HOTWASH_SECRET_KEY"] == ""
    env = {
        **documented,
        "HOTWASH_SECRET_KEY": secrets.token_urlsafe(48),
        "HOTWASH_DATA_DIR": str(tmp_path),
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOTWASH_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-m", "hotwash", "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_an_empty_secret_key_stops_production_mode(tmp_path: Path) -> None:
    env = {**documented_settings(), "HOTWASH_DATA_DIR": str(tmp_path)}
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOTWASH_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-m", "hotwash", "check"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "HOTWASH_SECRET_KEY" in result.stderr


def test_compose_sets_the_documented_production_settings() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    web = compose["services"]["web"]["environment"]
    missing = set(documented_settings()) - NOT_IN_COMPOSE - set(web)
    assert not missing, f"compose.yaml's web service does not set {sorted(missing)}"

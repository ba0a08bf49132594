"""Documentation that cannot go stale: every environment variable Hotwash
reads and every command it adds must appear in the README or in one of the
guides under docs/ that it links to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import get_commands

import hotwash

# Touches no database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[2]
GUIDES = sorted((ROOT / "docs").glob("*.md"))
README = "\n".join(path.read_text(encoding="utf-8") for path in [ROOT / "README.md", *GUIDES])
SOURCE = Path(hotwash.__file__).parent
# Read by the test harness only, not by Hotwash.
INTERNAL = {"HOTWASH_TEST_DATABASE_NAME"}
CLIENT_SETTINGS = {"HOTWASH_URL", "HOTWASH_TOKEN", "HOTWASH_TIMEZONE", "HOTWASH_LANGUAGE"}


def _variables() -> set[str]:
    found: set[str] = set(CLIENT_SETTINGS)
    for path in SOURCE.rglob("*.py"):
        found |= set(re.findall(r"[\"'](HOTWASH_[A-Z_]+)[\"']", path.read_text(encoding="utf-8")))
    return found - INTERNAL


def _our_commands() -> list[str]:
    return sorted(name for name, app in get_commands().items() if app.startswith("hotwash"))


@pytest.mark.parametrize("variable", sorted(_variables()))
def test_every_environment_variable_is_documented(variable: str) -> None:
    assert f"`{variable}`" in README, f"{variable} is read but not documented in README.md or docs/"


@pytest.mark.parametrize("command", _our_commands())
def test_every_command_is_documented(command: str) -> None:
    assert f"`hotwash {command}" in README, (
        f"`hotwash {command}` is not documented in README.md or docs/"
    )


@pytest.mark.parametrize("guide", [path.name for path in GUIDES])
def test_every_guide_is_linked_from_the_readme(guide: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"(docs/{guide})" in readme, f"docs/{guide} is not linked from README.md"

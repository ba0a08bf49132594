"""bench/generate.py still runs: a tiny scale against a throwaway database of
the suite's kind, so the bench cannot rot unnoticed. It checks what the
script wrote, never how fast."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import server_database

pytestmark = pytest.mark.server

GENERATE = Path(__file__).resolve().parents[2] / "bench" / "generate.py"


def generate(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(GENERATE), "--quiet", "--users", "12", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def count(url: str, table: str) -> int:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}".encode()).fetchone()
        assert row is not None
        return int(row[0])


def test_it_generates_a_small_realistic_database_and_clears_it(tmp_path: Path) -> None:
    with server_database(tmp_path) as database:
        output = generate(database.env, "--incidents", "40", "--events", "6")
        assert "Incidents INC-1 to INC-40." in output
        assert count(database.url, "incidents_incident") == 40
        assert count(database.url, "incidents_timelineevent") > 40
        assert count(database.url, "incidents_participant") >= 80
        assert count(database.url, "incidents_roleassignment") >= 40

        # --clear starts again from empty; users are reused, not duplicated.
        assert "INC-1 to INC-5." in generate(
            database.env, "--incidents", "5", "--clear", "--no-analyze"
        )
        assert count(database.url, "incidents_incident") == 5
        assert count(database.url, "auth_user") == 14  # 12 responders and 2 viewers

        # The generated data is what the services write: the app reads it.
        shown = database.run(
            "shell",
            "-v0",
            "-c",
            "from hotwash.incidents.models import Incident, TimelineEvent;"
            "from hotwash.incidents.display import describe_event;"
            "from hotwash.incidents.queries import build_catchup;"
            "[describe_event(e) for e in TimelineEvent.objects.all()];"
            "c = build_catchup(Incident.objects.first());"
            "print(len(c.key_moments) > 0, c.roles['commander'] is not None)",
        )
        assert shown.split() == ["True", "True"]

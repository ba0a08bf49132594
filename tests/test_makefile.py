"""The Makefile's one-word entry points, run for real on small stand-ins:
`make run` names the address it serves on and says how to sign in every
time; `make test` shows each suite's progress as it comes, keeps full logs
and fails when either suite fails."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.processes

ROOT = Path(__file__).resolve().parents[1]
HOTWASH = Path(sys.executable).parent / "hotwash"


def make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Not under a make that runs this suite: its job server is not ours.
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(name, None)
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.database_independent  # `make run` serves the embedded SQLite
def test_make_run_serves_on_its_port_and_says_how_to_sign_in_every_time(tmp_path: Path) -> None:
    """`make run PORT=8002`, twice, with the real migrate and demo commands
    and a stand-in for `hotwash serve` that reports what it was given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in = bin_dir / "hotwash"
    stand_in.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = serve ]; then echo "serve: $* (site: $HOTWASH_SITE_URL)"; exit 0; fi\n'
        f'exec {HOTWASH} "$@"\n'
    )
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IEXEC)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hotwash.sqlite3'}",
        "HOTWASH_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("HOTWASH_SITE_URL", None)
    env.pop("HOTWASH_TEST_DATABASE_NAME", None)
    for run in ("first", "second"):
        result = make("run", f"BIN={bin_dir}", "PORT=8002", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Open http://127.0.0.1:8002/ and log in as one of:" in result.stdout, run
        assert "  admin   password: hotwash-demo" in result.stdout, run
        assert (
            "serve: serve --host 127.0.0.1 --port 8002 (site: http://127.0.0.1:8002)"
            in result.stdout
        ), run
    assert "demo data not loaded" in result.stdout


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="runs both suites; once is enough (PostgreSQL's run)",
)
def test_make_test_shows_progress_keeps_logs_and_fails_when_one_suite_fails(
    tmp_path: Path,
) -> None:
    """One tiny selection on both databases; PostgreSQL pointed at a port
    where nothing listens, so that suite alone fails."""
    logs = tmp_path / "logs"
    env = {**os.environ}
    env.pop("HOTWASH_TEST_DATABASE_NAME", None)
    result = make(
        "test-suites",
        f"TEST_LOGS={logs}",
        "PYTEST_ARGS=tests/cli/test_demo.py::test_it_refuses_production_mode",
        "PG_URL=postgres://postgres@127.0.0.1:9/nowhere",
        # One process per suite, so the progress lines name the file.
        "TEST_WORKERS=0",
        env=env,
    )
    assert result.returncode != 0
    out = result.stdout
    assert f"full output in {logs}/sqlite.log and {logs}/postgres.log" in out
    # pytest's progress lines, each prefixed with its suite's name.
    assert "sqlite: tests/cli/test_demo.py .  " in out
    assert "postgres: tests/cli/test_demo.py E  " in out
    # Then each suite's summary, and where the logs are.
    assert "sqlite: ===" in out and " 1 passed in " in out
    assert "postgres: ERROR tests/cli/test_demo.py::test_it_refuses_production_mode" in out
    assert f"Full logs: {logs}/sqlite.log, {logs}/postgres.log" in out
    assert " 1 passed in " in (logs / "sqlite.log").read_text()
    assert " 1 error in " in (logs / "postgres.log").read_text()

"""HOTWASH_LOG_FORMAT: readable text by default, one JSON object per line
with `json`; a bad value stops start-up naming the variable. Each case
starts a fresh interpreter, as `hotwash` would, since logging is set up once
per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Touches no database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = pytest.mark.database_independent

LOG_TWO_RECORDS = """
import logging, django
django.setup()
log = logging.getLogger("hotwash.example")
log.warning("Disk %s is %d%% full", "/data", 93)
try:
    1 / 0
except ZeroDivisionError:
    log.exception("Could not divide")
logging.getLogger("hotwash.example").info("Not shown at the default level")
"""


def _run(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTWASH_LOG")}
    return subprocess.run(
        [sys.executable, "-c", LOG_TWO_RECORDS],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "hotwash.settings",
            "HOTWASH_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_default_is_the_message_as_text_as_before(tmp_path: Path) -> None:
    result = _run(tmp_path, {})
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "Disk /data is 93% full"
    assert lines[1] == "Could not divide"
    assert lines[2] == "Traceback (most recent call last):"
    assert "ZeroDivisionError: division by zero" in result.stderr
    assert "{" not in result.stderr
    assert result.stdout == ""


def test_json_gives_one_object_per_line(tmp_path: Path) -> None:
    result = _run(tmp_path, {"HOTWASH_LOG_FORMAT": "json"})
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stderr.splitlines())
    assert list(first)[:4] == ["time", "level", "logger", "message"]
    assert first["level"] == "WARNING"
    assert first["logger"] == "hotwash.example"
    assert first["message"] == "Disk /data is 93% full"
    assert first["request_id"] is None  # written outside any request
    assert first["time"].endswith("+00:00")
    assert second["message"] == "Could not divide"
    assert "ZeroDivisionError: division by zero" in second["exc_info"]


def test_the_level_is_read_whatever_its_case(tmp_path: Path) -> None:
    result = _run(tmp_path, {"HOTWASH_LOG_FORMAT": "JSON", "HOTWASH_LOG_LEVEL": "info"})
    assert result.returncode == 0, result.stderr
    messages = [json.loads(line)["message"] for line in result.stderr.splitlines()]
    assert "Not shown at the default level" in messages


@pytest.mark.parametrize(
    ("variable", "value"), [("HOTWASH_LOG_FORMAT", "xml"), ("HOTWASH_LOG_LEVEL", "loud")]
)
def test_a_bad_value_stops_start_up_naming_the_variable(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = _run(tmp_path, {variable: value})
    assert result.returncode != 0
    assert f"{variable} must be one of" in result.stderr


def test_outgoing_request_urls_stay_out_of_the_log_at_info(tmp_path: Path) -> None:
    script = """
import logging, django
django.setup()
logging.getLogger("httpx").info("HTTP Request: POST https://chat.example/hooks/s3cret")
logging.getLogger("hotwash.example").info("Shown")
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hotwash.settings",
            "HOTWASH_DATA_DIR": str(tmp_path),
            "HOTWASH_LOG_LEVEL": "INFO",
            "HOTWASH_LOG_FORMAT": "text",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Shown" in result.stderr
    assert "s3cret" not in result.stderr

"""docs/triggers.md keeps up with what it explains: the Watchdog route it
shows fits the shipped heartbeat, and the worker's settings are spelled
out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hotwash.triggers.policy import load_from, parse_duration

pytestmark = pytest.mark.database_independent

DOC = Path(__file__).resolve().parents[2] / "docs" / "triggers.md"
YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def paragraphs() -> list[str]:
    return [" ".join(p.split()) for p in DOC.read_text(encoding="utf-8").split("\n\n")]


def test_the_watchdog_route_shown_fits_the_shipped_heartbeat() -> None:
    """Alertmanager re-sends every repeat_interval, rounded up to its
    group_interval: a heartbeat period shorter than either would open
    monitoring failures while everything works."""
    blocks = [yaml.safe_load(b) for b in YAML_BLOCK.findall(DOC.read_text(encoding="utf-8"))]
    routes = [
        route
        for block in blocks
        if isinstance(block, dict) and "route" in block
        for route in block["route"].get("routes", [])
        if 'alertname="Watchdog"' in route.get("matchers", [])
    ]
    assert routes, "docs/triggers.md shows no Alertmanager route for Watchdog"
    watchdog = load_from(None).heartbeat("Watchdog")
    assert watchdog is not None
    for route in routes:
        resend = max(
            parse_duration(route["repeat_interval"]), parse_duration(route["group_interval"])
        )
        assert watchdog.period >= resend


def test_it_explains_sizing_against_alertmanagers_intervals() -> None:
    sizing = [p for p in paragraphs() if "Sizing a Watchdog heartbeat" in p]
    assert sizing
    text = " ".join(paragraphs())
    for words in ("repeat_interval", "group_interval", "after Prometheus stops"):
        assert words in text


def test_it_says_the_worker_needs_the_same_policy_file() -> None:
    assert any(
        "hotwash worker" in p and "hotwash serve" in p and "HOTWASH_TRIGGER_POLICY_FILE" in p
        for p in paragraphs()
    ), "say that `hotwash worker` needs HOTWASH_TRIGGER_POLICY_FILE as `hotwash serve` does"

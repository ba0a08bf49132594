"""bench/status.py cannot rot unnoticed: its seed and its way of publishing
an update produce what the status page shows, its bare ceiling app answers,
and its report prints. No server and no timing here; the bench measures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from hotwash.statuspage.pages import render_and_store

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench() -> Iterator[Any]:
    sys.path.insert(0, str(BENCH))
    try:
        import status

        yield status
    finally:
        sys.path.remove(str(BENCH))


def test_the_seed_and_the_updates_show_on_the_page(bench: Any, db: None) -> None:
    incident = bench.seed()
    bench.publish(incident, "Bench update 1")
    render_and_store()
    html = Client().get(bench.PAGE).content.decode()
    assert "Seed update 0" in html and "Bench update 1" in html


def test_the_ceiling_answers_with_a_body(bench: Any) -> None:
    import status_ceiling

    answers: list[str] = []
    body = b"".join(status_ceiling.application({}, lambda status, headers: answers.append(status)))
    assert answers == ["200 OK"] and body


def test_the_report_prints_the_targets(bench: Any) -> None:
    figures = {"per_second": 1000.0, "p50_ms": 1.0, "p99_ms": 5.0, "errors": {}}
    run = {"status": figures, "ceiling": {**figures, "per_second": 2000.0}, "visible_s": [0.6]}
    text = bench.report(run)
    assert "50%" in text and "ok" in text and ">= 30%" in text

"""bench/search.py cannot rot unnoticed: its data builders write what the
index needs, its measurement searches through the real code, and its report
prints each figure beside its ceiling. One tiny run end to end, on SQLite:
throwaway database, generate.py, the worker process. No timing is asserted."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user
from hotwash.incidents.services import declare_incident
from hotwash.postmortems.models import Postmortem
from hotwash.search.index import rebuild

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench() -> Iterator[Any]:
    sys.path.insert(0, str(BENCH))
    try:
        import search

        yield search
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.django_db
def test_the_builders_and_the_measurement_find_the_words(bench: Any, responder: User) -> None:
    for n in range(3):
        declare_incident(actor=responder, title=f"Checkout error rate {n}")
    create_user(bench.RESPONDER, role=Role.RESPONDER)
    rng = random.Random(1)

    assert bench.add_postmortems(2, rng) == 2
    bench.add_rare_words(rng)
    assert rebuild() == 5
    figures = bench.measure(["zeppelin", "paiements", "checkout"], samples=2)

    assert figures["zeppelin"]["count"] >= 1
    assert figures["paiements"]["count"] == Postmortem.objects.count()
    assert figures["checkout"]["count"] >= 3
    assert len(figures["checkout"]["ms"]) == 2


def test_the_report_prints_figures_beside_their_ceilings(bench: Any) -> None:
    def run(incidents: int, ms: float) -> dict[str, Any]:
        query = {"ms": [ms] * 3, "count": 10, "exact": True}
        return {
            "database": "sqlite",
            "incidents": incidents,
            "postmortems": incidents // 10,
            "documents": incidents,
            "indexed_s": 1.0,
            "rare": {"zeppelin": query},
            "common": {"checkout": query, "firing": {**query, "ms": [ms * 2] * 3}},
        }

    text = bench.report([run(1000, 10.0), run(100_000, 30.0)])

    assert "ceiling p95 < 100 ms: ok" in text
    assert "worst common word 'firing': p95 60.0 ms" in text
    assert "3.00x   ceiling <= 2x: MISSED" in text


# Its databases are always a throwaway SQLite file, whatever the suite's.
@pytest.mark.processes
@pytest.mark.database_independent
def test_a_tiny_run_end_to_end(bench: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--sizes", "20", "--databases", "sqlite", "--samples", "2"]) == 0

    output = capsys.readouterr().out
    assert "20 incidents, 2 postmortems" in output
    assert "worst common word" in output and "ceiling p95 < 100 ms" in output

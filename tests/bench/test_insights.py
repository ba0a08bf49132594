"""bench/insights.py cannot rot unnoticed: what it adds to generated data
is what the insights page reads, and its report prints the ceiling. No
server and no timing here; the bench measures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hotwash.actions.models import ActionItem
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident, Participant, Service
from hotwash.postmortems.models import Postmortem

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench() -> Iterator[Any]:
    sys.path.insert(0, str(BENCH))
    try:
        import insights

        yield insights
    finally:
        sys.path.remove(str(BENCH))


def test_the_fill_feeds_every_chart(bench: Any, admin_user: User, responder: User) -> None:
    service = Service.objects.create(name="checkout")
    now = timezone.now()
    for number in range(40):
        declared = now - timedelta(days=number * 2 + 1)
        incident = Incident.objects.create(
            title=f"Incident {number}", severity=number % 4 + 1, status="resolved",
            declared_at=declared, updated_at=declared, resolved_at=declared + timedelta(hours=2),
            detection_source="alert",
        )  # fmt: skip
        incident.services.add(service)
        Participant.objects.create(incident=incident, user=responder, joined_at=declared)
    bench.fill(seed=3)
    assert Postmortem.objects.exists()
    assert ActionItem.objects.exists()
    assert AuditRecord.objects.filter(action="postmortem.section_saved").exists()
    client = Client()
    client.force_login(admin_user)
    charts = {
        chart["name"]: chart
        for chart in client.get("/en/insights/", {"format": "json"}).json()["charts"]
    }
    assert any(row[-1] for row in charts["time-invested"]["rows"])
    assert any(row[-1] for row in charts["postmortems-on-time"]["rows"])


def test_the_report_prints_figures_beside_the_ceiling(bench: Any) -> None:
    figures = {"p50_ms": 120.0, "p95_ms": 250.0, "samples": 10, "errors": 0}
    slow = {**figures, "p95_ms": 420.0}
    text = bench.report(
        [
            {"database": "sqlite", "incidents": 1000, "pages": {"default (admin)": figures}},
            {"database": "postgresql", "incidents": 1000, "pages": {"default (admin)": slow}},
        ]
    )
    assert "< 300 ms p95: ok" in text
    assert "< 300 ms p95: MISSED" in text

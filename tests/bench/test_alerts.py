"""bench/alerts.py cannot rot unnoticed: its payloads are what the
Alertmanager endpoint accepts, and its storage-ceiling endpoint (bench only)
commits its upsert. No server and no timing here; the bench measures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings

from hotwash.alerts.models import Alert
from hotwash.alerts.services import create_source
from hotwash.integrations.alertmanager.parser import parse_alertmanager

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench() -> Iterator[Any]:
    sys.path.insert(0, str(BENCH))
    try:
        import alerts

        yield alerts
    finally:
        sys.path.remove(str(BENCH))


def test_the_bench_payloads_are_valid_alertmanager_notifications(bench: Any, db: None) -> None:
    _source, token = create_source(name="bench", kind="alertmanager")
    singles = bench.webhook_requests(token, "s", 3, 1)
    batch = bench.webhook_requests(token, "b", 1, bench.BATCH_SIZE)
    assert len(parse_alertmanager(batch[0][1])) == bench.BATCH_SIZE
    client = Client()
    for path, body, headers in [*singles, *batch]:
        response = client.post(
            path, body, content_type="application/json", HTTP_AUTHORIZATION=headers["Authorization"]
        )
        assert response.status_code == 200, response.content
    assert Alert.objects.count() == 3 + bench.BATCH_SIZE


def test_the_storage_ceiling_endpoint_exists_only_in_the_bench(bench: Any, db: None) -> None:
    (path, body, _headers), *_rest = bench.ceiling_requests("t", 2)
    assert Client().post(path, body, content_type="application/json").status_code == 404
    with override_settings(ROOT_URLCONF="alerts_ceiling_urls"):
        for _ in range(2):
            response = Client().post(path, body, content_type="application/json")
            assert response.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM bench_ceiling")
        assert cursor.fetchall() == [(2,)]

"""Workers' heartbeats: written by every turn of the loop, cheaply."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotwash.jobs.heartbeat import FORGET_AFTER, Heartbeat, last_seen, workers_seen
from hotwash.jobs.models import WorkerHeartbeat
from hotwash.jobs.worker import HotwashWorker

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_a_worker_loop_records_its_heartbeat() -> None:
    assert workers_seen() == 0 and last_seen() is None
    HotwashWorker(worker_id="w-loop", queue_names=["default"], interval=0, once=True).run()
    beat = WorkerHeartbeat.objects.get()
    assert (beat.worker_id, beat.last_seen_at, beat.started_at) == ("w-loop", NOW, NOW)
    assert beat.pid > 0 and beat.hostname
    assert workers_seen() == 1 and last_seen() == NOW


def test_a_heartbeat_is_written_at_most_every_few_seconds() -> None:
    heartbeat = Heartbeat("w1")
    heartbeat.beat()
    with CaptureQueriesContext(connection) as queries:
        heartbeat.beat()
        heartbeat.beat()
    assert len(queries) == 0
    assert WorkerHeartbeat.objects.count() == 1


def test_a_later_beat_updates_the_row_in_one_statement(
    _clock: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    heartbeat = Heartbeat("w1")
    heartbeat.beat()
    _clock.shift(timedelta(seconds=30))
    monkeypatch.setattr("hotwash.jobs.heartbeat.BEAT_SECONDS", 0.0)
    with CaptureQueriesContext(connection) as queries:
        heartbeat.beat()
    assert len(queries) == 1 and queries[0]["sql"].startswith("UPDATE")
    assert WorkerHeartbeat.objects.get().last_seen_at == NOW + timedelta(seconds=30)
    assert workers_seen() == 1


def test_workers_silent_for_a_day_are_forgotten_when_a_worker_starts(
    _clock: time_machine.Traveller,
) -> None:
    Heartbeat("old").beat()
    _clock.shift(FORGET_AFTER + timedelta(minutes=1))
    Heartbeat("new").beat()
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["new"]

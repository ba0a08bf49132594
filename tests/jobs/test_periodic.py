"""Periodic jobs: each slot is claimed by exactly one worker, failures are
recorded and never stop the worker, and the queue helpers behave."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_tasks import task
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from hotwash.jobs import schedule
from hotwash.jobs.models import PeriodicJobState, RunStatus
from hotwash.jobs.periodic import claim, following_slot, run_due_jobs, sync_states
from hotwash.jobs.queue import enqueue_many
from hotwash.jobs.retry import retry_delay, retry_later
from hotwash.jobs.worker import HotwashWorker

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CALLS: list[tuple[str, datetime]] = []


@task()
def remember(label: str) -> str:
    CALLS.append((label, datetime.now(UTC)))
    return label


@task()
def explode(attempt: int = 1) -> None:
    raise RuntimeError(f"boom {attempt}")


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    CALLS.clear()
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def jobs(monkeypatch: pytest.MonkeyPatch) -> dict[str, schedule.PeriodicJob]:
    """A registry holding only test jobs (the real ones are left alone)."""
    registry: dict[str, schedule.PeriodicJob] = {}
    monkeypatch.setattr(schedule, "_REGISTRY", registry)

    @schedule.periodic("tests.tick", every=timedelta(minutes=5))
    def tick(now: datetime) -> None:
        CALLS.append(("tick", now))

    @schedule.periodic("tests.broken", every=timedelta(minutes=10))
    def broken(now: datetime) -> None:
        raise ValueError("the job failed")

    return registry


def test_the_following_slot_stays_on_the_grid_and_skips_missed_ones() -> None:
    every = timedelta(minutes=5)
    assert following_slot(NOW, every, NOW) == NOW + every
    assert following_slot(NOW, every, NOW + timedelta(minutes=2)) == NOW + every
    assert following_slot(NOW, every, NOW + timedelta(minutes=61)) == NOW + timedelta(minutes=65)


def test_a_slot_is_claimed_once(jobs: dict[str, schedule.PeriodicJob]) -> None:
    sync_states()
    job = jobs["tests.tick"]
    assert claim(job, NOW, NOW, "worker-a") is True
    assert claim(job, NOW, NOW, "worker-b") is False
    state = PeriodicJobState.objects.get(name="tests.tick")
    assert state.next_run_at == NOW + timedelta(minutes=5)
    assert (state.last_worker, state.run_count) == ("worker-a", 1)


def test_due_jobs_run_once_per_slot_and_failures_are_recorded(
    jobs: dict[str, schedule.PeriodicJob], _clock: time_machine.Traveller
) -> None:
    sync_states()
    assert run_due_jobs("worker-a") == 2
    assert run_due_jobs("worker-b") == 0
    assert CALLS == [("tick", NOW)]
    broken = PeriodicJobState.objects.get(name="tests.broken")
    assert broken.last_status == RunStatus.FAILED
    assert "the job failed" in broken.last_error
    assert broken.failure_count == 1
    tick = PeriodicJobState.objects.get(name="tests.tick")
    assert tick.last_status == RunStatus.OK

    _clock.shift(timedelta(minutes=5))
    assert run_due_jobs("worker-b") == 1  # only tick: broken is due every 10 minutes
    assert [label for label, _at in CALLS] == ["tick", "tick"]


def test_a_new_shorter_interval_takes_effect_at_once(
    jobs: dict[str, schedule.PeriodicJob], monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_states()
    run_due_jobs("worker-a")
    jobs["tests.tick"] = schedule.PeriodicJob(
        "tests.tick", timedelta(minutes=1), jobs["tests.tick"].function
    )
    sync_states()
    state = PeriodicJobState.objects.get(name="tests.tick")
    assert (state.interval_seconds, state.next_run_at) == (60, NOW + timedelta(minutes=1))


def test_the_worker_drains_tasks_enqueued_in_bulk() -> None:
    assert enqueue_many(remember, [(("a",), {}), (("b",), {}), ((), {"label": "c"})]) == 3
    worker = HotwashWorker(worker_id="tests", queue_names=["default"], interval=0, periodic=False)
    assert worker.drain() == 3
    assert sorted(label for label, _at in CALLS) == ["a", "b", "c"]
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 3


def test_retries_back_off_exponentially_up_to_a_limit(settings: Settings) -> None:
    settings.TASK_RETRY_SECONDS = 30.0
    settings.TASK_MAX_ATTEMPTS = 3
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(30) == timedelta(hours=6)
    assert retry_later(explode, attempt=1) == NOW + timedelta(seconds=30)
    queued = DBTaskResult.objects.get()
    assert queued.run_after == NOW + timedelta(seconds=30)
    assert queued.args_kwargs == {"args": [], "kwargs": {"attempt": 2}}
    assert retry_later(explode, attempt=3) is None


def test_a_failing_task_is_recorded_with_its_traceback() -> None:
    explode.enqueue()
    HotwashWorker(worker_id="tests", queue_names=["default"], interval=0, periodic=False).drain()
    result = DBTaskResult.objects.get()
    assert result.status == "FAILED"
    assert "RuntimeError: boom 1" in result.traceback


def test_old_finished_task_results_are_pruned(_clock: time_machine.Traveller) -> None:
    from hotwash.jobs.housekeeping import prune_task_results

    remember.enqueue("old")
    explode.enqueue()
    worker = HotwashWorker(worker_id="tests", queue_names=["default"], interval=0, periodic=False)
    worker.drain()
    remember.enqueue("waiting")
    assert prune_task_results(NOW + timedelta(days=8)) == 1  # the old success
    assert prune_task_results(NOW + timedelta(days=31)) == 1  # the old failure
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["READY"]

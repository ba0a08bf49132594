"""The worker loop's stops: a stop asked for at any moment lets the task in
hand finish, including one claimed an instant before the stop."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from hotwash.jobs.worker import HotwashWorker
from tests.jobs.test_periodic import CALLS, remember

pytestmark = pytest.mark.django_db


def worker() -> HotwashWorker:
    return HotwashWorker(worker_id="tests", queue_names=["default"], interval=0, periodic=False)


def test_a_stop_signal_right_after_a_claim_lets_that_task_run() -> None:
    """SIGTERM between the claim's commit and the run: the task, claimed
    and so invisible to every other worker, still runs; nothing more does."""
    CALLS.clear()
    remember.enqueue("first")
    remember.enqueue("second")
    stopping = worker()
    claim = stopping.claim_task

    def claim_then_the_signal() -> tuple[DBTaskResult[..., Any] | None, bool]:
        claimed = claim()
        stopping.shutdown(signal.SIGTERM, None)  # the handler, as the signal would call it
        return claimed

    stopping.claim_task = claim_then_the_signal  # type: ignore[method-assign]
    assert stopping.drain() == 1
    assert [label for label, _at in CALLS] == ["first"]
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == [
        "READY",
        "SUCCESSFUL",
    ]


def test_request_stop_finishes_the_task_in_hand() -> None:
    CALLS.clear()
    remember.enqueue("only")
    stopping = worker()
    claim = stopping.claim_task

    def claim_then_stop() -> tuple[DBTaskResult[..., Any] | None, bool]:
        claimed = claim()
        stopping.request_stop()
        return claimed

    stopping.claim_task = claim_then_stop  # type: ignore[method-assign]
    assert stopping.drain() == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"

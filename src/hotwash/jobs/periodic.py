"""Running the periodic jobs of `hotwash.jobs.schedule`, each slot once.

Every job has a PeriodicJobState row whose `next_run_at` is the start of its
next slot. A worker that finds a slot due claims it with one conditional

    UPDATE jobs_periodicjobstate SET next_run_at = <following slot>, ...
     WHERE name = <job> AND next_run_at = <the slot it read> AND next_run_at <= now

and runs the job only if that UPDATE changed a row. Two workers that read
the same slot race on the UPDATE: PostgreSQL makes the second wait for the
first's row lock and then re-checks the WHERE clause, which no longer
matches; SQLite runs one write at a time. Either way exactly one worker runs
each slot. Slots missed while no worker ran are skipped, not caught up in a
burst: the following slot is the first one after now on the job's grid.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import OperationalError
from django.db.models import F
from django.utils import timezone

from hotwash.jobs.models import PeriodicJobState, RunStatus
from hotwash.jobs.schedule import PeriodicJob, registered_jobs

logger = logging.getLogger("hotwash.jobs")

ERROR_LIMIT = 10_000


def following_slot(slot: datetime, every: timedelta, now: datetime) -> datetime:
    """The first slot after `now` on the grid slot + k * every."""
    if slot > now:
        return slot
    skipped = (now - slot) // every
    return slot + every * (skipped + 1)


def sync_states(now: datetime | None = None) -> None:
    """Give every registered job a state row (due at once when new), and
    bring a job's next run forward if its interval became shorter."""
    now = now or timezone.now()
    jobs = registered_jobs()
    PeriodicJobState.objects.bulk_create(
        [
            PeriodicJobState(
                name=job.name, interval_seconds=int(job.every.total_seconds()), next_run_at=now
            )
            for job in jobs
        ],
        ignore_conflicts=True,
    )
    states = {s.name: s for s in PeriodicJobState.objects.filter(name__in=[j.name for j in jobs])}
    for job in jobs:
        state = states.get(job.name)
        seconds = int(job.every.total_seconds())
        if state is None or state.interval_seconds == seconds:
            continue
        # Conditional on what was read: a worker starting at the same moment
        # may have claimed a slot meanwhile, and a blind write would hand
        # that slot out again.
        PeriodicJobState.objects.filter(
            pk=state.pk,
            interval_seconds=state.interval_seconds,
            next_run_at=state.next_run_at,
        ).update(interval_seconds=seconds, next_run_at=min(state.next_run_at, now + job.every))


def claim(job: PeriodicJob, slot: datetime, now: datetime, worker_id: str) -> bool:
    """Take the run of `job` for `slot`; True for exactly one claimant."""
    try:
        updated = PeriodicJobState.objects.filter(
            name=job.name, next_run_at=slot, next_run_at__lte=now
        ).update(
            next_run_at=following_slot(slot, job.every, now),
            last_started_at=now,
            last_status=RunStatus.RUNNING,
            last_worker=worker_id[:64],
            run_count=F("run_count") + 1,
        )
    except OperationalError as error:
        # SQLite under heavy write load: the slot stays due for the next look.
        logger.warning("Could not claim periodic job %s: %s", job.name, error)
        return False
    return updated == 1


def run_due_jobs(
    worker_id: str,
    *,
    should_continue: Callable[[], bool] = lambda: True,
    on_job: Callable[[bool], None] = lambda running: None,
) -> int:
    """Run every registered job whose slot is due and that this worker
    claims; return how many ran. `on_job(True/False)` brackets each run (the
    worker uses it to finish a job before honouring a stop signal)."""
    jobs = {job.name: job for job in registered_jobs()}
    if not jobs:
        return 0
    now = timezone.now()
    due = list(
        PeriodicJobState.objects.filter(name__in=jobs, next_run_at__lte=now)
        .order_by("next_run_at", "name")
        .values_list("name", "next_run_at")
    )
    ran = 0
    for name, slot in due:
        if not should_continue():
            break
        job = jobs[name]
        now = timezone.now()
        if not claim(job, slot, now, worker_id):
            continue
        on_job(True)
        try:
            run_job(job, slot, now, worker_id)
        finally:
            on_job(False)
        ran += 1
    return ran


def run_job(job: PeriodicJob, slot: datetime, now: datetime, worker_id: str) -> None:
    """Call a claimed job and record how it went; a failing job is logged
    and recorded, never fatal to the worker."""
    logger.info("Running %s for slot %s (worker %s)", job.name, slot.isoformat(), worker_id)
    started = time.perf_counter()
    try:
        job.function(now)
    except Exception as error:
        PeriodicJobState.objects.filter(name=job.name).update(
            last_finished_at=timezone.now(),
            last_status=RunStatus.FAILED,
            last_error="".join(traceback.format_exception(error))[-ERROR_LIMIT:],
            failure_count=F("failure_count") + 1,
        )
        logger.exception("%s failed for slot %s", job.name, slot.isoformat())
        return
    PeriodicJobState.objects.filter(name=job.name).update(
        last_finished_at=timezone.now(), last_status=RunStatus.OK, last_error=""
    )
    logger.info("%s done in %.2f s", job.name, time.perf_counter() - started)

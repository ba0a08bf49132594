"""`hotwash worker`'s loop: django-tasks-db's Worker plus periodic jobs.

Queued tasks are claimed and run by django-tasks-db's own machinery (its
`DBTaskResult.objects.ready().get_locked()` + `claim()` inside its
`exclusive_transaction`, and `Worker.run_task`, which records success or
failure and sends django-tasks' signals), so a task behaves exactly as under
`db_worker`. What this class adds: periodic jobs between tasks, a heartbeat
on every turn of the loop (`hotwash.jobs.heartbeat`, which readiness and
the metrics read), a `--once` mode, and a stop signal that lets a running periodic job finish as well as a
running task.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, BinaryIO

from django.db import close_old_connections, connection
from django.db.utils import OperationalError
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from hotwash.jobs.heartbeat import Heartbeat
from hotwash.jobs.periodic import run_due_jobs, sync_states

logger = logging.getLogger("hotwash.jobs")


def _refresh_connections() -> None:
    """Drop expired or broken connections between units of work, as Django
    does between requests; never inside a transaction (a test's, say)."""
    if not connection.in_atomic_block:
        close_old_connections()


# While tasks keep coming, look at the periodic jobs at least this often.
PERIODIC_CHECK_SECONDS = 5.0


class HotwashWorker(Worker):
    def __init__(
        self,
        *,
        worker_id: str,
        queue_names: list[str],
        interval: float,
        backend_name: str = "default",
        once: bool = False,
        periodic: bool = True,
        tasks: bool = True,
    ) -> None:
        super().__init__(
            queue_names=queue_names,
            interval=interval,
            batch=once,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        self.once = once
        self.periodic = periodic
        self.tasks = tasks
        self.heartbeat = Heartbeat(worker_id)

    def request_stop(self) -> None:
        """Leave the loop after the task or periodic job in hand, as a first
        stop signal does, but callable from any thread and never forceful."""
        self.running = False

    # --- tasks (django-tasks-db's claim, one task at a time) ------------------

    def claim_task(self) -> tuple[DBTaskResult[..., Any] | None, bool]:
        """Claim the next ready task: (the task or None, whether the queue
        could be read; False when SQLite was busy)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as error:
                if is_locked_database_exception(error):
                    return None, False
                raise
        return task_result, True

    def drain(self, *, seconds: float | None = None) -> int:
        """Run ready tasks until none is left, a stop is asked for, or
        `seconds` have passed; return how many ran."""
        deadline = None if seconds is None else time.monotonic() + seconds
        ran = 0
        while self.running and (deadline is None or time.monotonic() < deadline):
            _refresh_connections()
            self.heartbeat.beat()
            # The task is in hand from its claim on: the inherited signal
            # handler exits at once when no task runs, and a stop arriving
            # between the claim's commit and run_task would leave the task
            # claimed (RUNNING) and never run.
            self.running_task = True
            task_result, read = self.claim_task()
            if task_result is None:
                self.running_task = False
                if read:
                    break
                time.sleep(min(self.interval, 0.2) or 0.05)
                continue
            logger.info("Running task %s (%s)", task_result.task_path, task_result.id)
            self.run_task(task_result)
            ran += 1
        return ran

    # --- periodic jobs ---------------------------------------------------------

    def _job_bracket(self, running: bool) -> None:
        # The inherited signal handler exits at once unless a task runs; a
        # periodic job counts as one, so it is never cut off half-way.
        self.running_task = running

    def run_periodic(self) -> int:
        _refresh_connections()
        return run_due_jobs(
            self.worker_id, should_continue=lambda: self.running, on_job=self._job_bracket
        )

    # --- the loop --------------------------------------------------------------

    def run(self) -> None:
        logger.info(
            "Worker %s started (queues %s%s)",
            self.worker_id,
            ",".join(self.queue_names),
            "" if self.periodic else "; periodic jobs off",
        )
        if self.periodic:
            sync_states()
        while self.running:
            self.heartbeat.beat()
            worked = self.run_periodic() if self.periodic else 0
            if self.tasks:
                worked += self.drain(seconds=None if self.once else PERIODIC_CHECK_SECONDS)
            if self.once:
                break
            _refresh_connections()
            if self.running and not worked:
                time.sleep(self.interval)
        logger.info("Worker %s stopped", self.worker_id)


def stop_when_closed(stream: BinaryIO, worker: HotwashWorker) -> threading.Thread:
    """Ask `worker` to stop once `stream` ends. `hotwash serve` holds the
    other end of its embedded worker's standard input: closing it stops the
    worker gracefully, and so does the server's death, however it dies (the
    kernel closes the pipe), so the worker never outlives its server."""

    def wait_for_the_end() -> None:
        while stream.read(4096):
            pass  # what is written is ignored; only the end matters
        logger.info("Worker %s: standard input closed, stopping", worker.worker_id)
        worker.request_stop()

    watcher = threading.Thread(target=wait_for_the_end, name="stop-when-closed", daemon=True)
    watcher.start()
    return watcher

"""Group commit: concurrent webhook requests share one database commit.

On SQLite a commit is a large part of what a single-alert webhook costs,
and SQLite lets one writer in at a time anyway. So (on SQLite, by default;
see group_commit) each server process has one writer thread: request
threads hand it their work and wait; it runs everything that queued up
meanwhile in one transaction, commits once, and only then wakes each
request, which answers 2xx. Nothing is acknowledged before it is on disk.

What "runs everything" means is the caller's `run` function (for alerts,
ingest._store_units: the requests' statements together, then each
request's signals in arrival order). If it fails (a receiver raises, the
database gives up), the transaction is rolled back and every request of the
batch is run again on its own: the failing one fails alone.

Work submitted from inside a transaction (tests, management commands) runs
right there instead: it must see, and be part of, the caller's transaction.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import close_old_connections, connection, transaction

logger = logging.getLogger("hotwash.alerts")

Item = TypeVar("Item")
Result = TypeVar("Result")

# Requests per shared commit, at most; what queues up beyond waits for the next.
MAX_JOBS = 64
# A request waits this long for its commit (the database is locked or
# gone); it then fails with 5xx, so the sender retries.
WAIT_SECONDS = 60.0


@dataclass
class _Job(Generic[Item]):
    item: Item
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class CommitTimeout(Exception):
    """The writer did not commit in time; the request fails and is retried."""


def group_commit() -> bool:
    """Whether requests share commits: ALERTS_GROUP_COMMIT, by default on
    SQLite only. SQLite admits one writer at a time anyway, so a single
    writer thread loses nothing and saves a commit per request. PostgreSQL
    runs concurrent transactions in parallel and overlaps their WAL flushes
    itself; funnelling them through one writer was measured slower there
    (bench/alerts.py), so each request keeps its own transaction."""
    configured: bool | None = getattr(settings, "ALERTS_GROUP_COMMIT", None)
    return connection.vendor == "sqlite" if configured is None else configured


class Committer(Generic[Item, Result]):
    """Runs items through `run` (many at once, inside a transaction it
    opens; one result per item, in order) and hands each caller its result
    after the commit."""

    def __init__(self, run: Callable[[list[Item]], list[Result]]) -> None:
        self._run_items = run
        self._ready = threading.Condition()
        self._queue: deque[_Job[Item]] = deque()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def __call__(self, item: Item) -> Result:
        """The item's result, once committed: in the caller's own
        transaction when there is one (then the caller commits), in a
        transaction of its own without group commit, else through the
        writer."""
        if connection.in_atomic_block or not group_commit():
            with transaction.atomic():
                return self._run_items([item])[0]
        return self.submit(item)

    def submit(self, item: Item) -> Result:
        job: _Job[Item] = _Job(item)
        with self._ready:
            self._start()
            self._queue.append(job)
            self._ready.notify()
        if not job.done.wait(WAIT_SECONDS):
            raise CommitTimeout(f"no commit within {WAIT_SECONDS:.0f} s")
        if job.error is not None:
            raise job.error
        result: Result = job.result
        return result

    def _start(self) -> None:
        # A forked worker process inherits the object, not the thread.
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._thread = threading.Thread(
            target=self._loop, name="hotwash-alerts-writer", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                jobs = [self._queue.popleft() for _ in range(min(MAX_JOBS, len(self._queue)))]
            # The connection's lifecycle is a request's: checked before, and
            # closed after when CONN_MAX_AGE (or the pool) says so.
            close_old_connections()
            try:
                self._run(jobs)
            except BaseException as error:  # never leave a request waiting
                logger.exception("The alerts writer failed")
                for job in jobs:
                    if not job.done.is_set():
                        job.error = error
            finally:
                for job in jobs:
                    job.done.set()
                close_old_connections()

    def _run(self, jobs: list[_Job[Item]]) -> None:
        try:
            with transaction.atomic():
                results = self._run_items([job.item for job in jobs])
        except Exception as error:
            if len(jobs) == 1:
                jobs[0].error = error
                return
            # One of them failed, or the database gave up on the batch:
            # each on its own, so only the failing one fails.
            for job in jobs:
                self._run_alone(job)
            return
        for job, result in zip(jobs, results, strict=True):
            job.result = result

    def _run_alone(self, job: _Job[Item]) -> None:
        try:
            with transaction.atomic():
                job.result = self._run_items([job.item])[0]
        except Exception as error:
            job.error = error

"""Workers saying they are alive, and the one rule for "a worker is running".

Every turn of a worker's loop calls `Heartbeat.beat()`, which rewrites the
worker's `WorkerHeartbeat` row at most every `BEAT_SECONDS`: one small UPDATE
per worker every few seconds, whatever the worker's interval. Readiness
(`/readyz`) and the metrics read the rows through `workers_seen` and
`last_seen`, so "seen" means the same everywhere.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.db.models import Max
from django.utils import timezone

from hotwash.jobs.models import WorkerHeartbeat

logger = logging.getLogger("hotwash.jobs")

# A worker is running when its heartbeat is younger than this.
SEEN_WITHIN = timedelta(minutes=1)
# How often a worker rewrites its row: well inside SEEN_WITHIN, so a slow
# loop turn (a periodic job, a webhook that times out) does not look like a
# dead worker.
BEAT_SECONDS = 10.0
# Rows of workers silent this long are deleted when a worker starts (each
# start has a new worker id, so the table would otherwise only grow).
FORGET_AFTER = timedelta(days=1)


class Heartbeat:
    """The heartbeat of one worker."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id[:64]
        self.started_at = timezone.now()
        self._last_beat: float | None = None

    def beat(self) -> None:
        """Record that the worker is alive, unless it did so in the last
        BEAT_SECONDS. Never fatal: a database that refuses the write (SQLite
        busy) only delays the next beat."""
        moment = time.monotonic()
        if self._last_beat is not None and moment - self._last_beat < BEAT_SECONDS:
            return
        now = timezone.now()
        try:
            if self._last_beat is None:
                WorkerHeartbeat.objects.filter(last_seen_at__lt=now - FORGET_AFTER).delete()
            updated = WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(
                last_seen_at=now
            )
            if not updated:
                WorkerHeartbeat.objects.create(
                    worker_id=self.worker_id,
                    hostname=socket.gethostname()[:255],
                    pid=os.getpid(),
                    started_at=self.started_at,
                    last_seen_at=now,
                )
        except DatabaseError as error:
            logger.warning("Could not record worker %s's heartbeat: %s", self.worker_id, error)
            return
        self._last_beat = moment


def workers_seen(now: datetime | None = None) -> int:
    """How many workers beat within SEEN_WITHIN."""
    now = now or timezone.now()
    return WorkerHeartbeat.objects.filter(last_seen_at__gte=now - SEEN_WITHIN).count()


def last_seen() -> datetime | None:
    """When any worker last beat (None: no worker ever did, or long ago)."""
    latest: datetime | None = WorkerHeartbeat.objects.aggregate(latest=Max("last_seen_at"))[
        "latest"
    ]
    return latest

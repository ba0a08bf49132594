"""Keeping the task queue table small: finished task results are deleted
after a while (successful ones after a week, failed ones after a month, so
failures stay visible in the admin long enough to be looked at)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django_tasks_db.models import DBTaskResult

from hotwash.jobs.schedule import periodic

logger = logging.getLogger("hotwash.jobs")

KEEP_SUCCESSFUL = timedelta(days=7)
KEEP_FAILED = timedelta(days=30)


@periodic("jobs.prune_task_results", every=timedelta(hours=6))
def prune_task_results(now: datetime) -> int:
    successful = DBTaskResult.objects.successful().filter(finished_at__lt=now - KEEP_SUCCESSFUL)
    failed = DBTaskResult.objects.failed().filter(finished_at__lt=now - KEEP_FAILED)
    deleted = successful.delete()[0] + failed.delete()[0]
    if deleted:
        logger.info("Deleted %d finished task results", deleted)
    return deleted

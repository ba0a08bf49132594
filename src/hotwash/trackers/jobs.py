"""The periodic tracker sync that `hotwash worker` runs: re-enqueue pushes
whose task was lost, then poll each tracker for issues closed or reopened
while a webhook was missed (the TRACKER_POLL_SECONDS setting,
HOTWASH_TRACKER_POLL_SECONDS, default 300)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from hotwash.jobs.schedule import periodic
from hotwash.trackers import services


@periodic("trackers.sync", every=timedelta(seconds=settings.TRACKER_POLL_SECONDS))
def sync_trackers(now: datetime) -> dict[str, int]:
    return services.sync_all(now)

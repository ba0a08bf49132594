"""The periodic tracker sync that `hotwash worker` runs: re-enqueue pushes
whose task was lost, then poll each tracker for issues closed or reopened
while a webhook was missed (HOTWASH_TRACKER_POLL_SECONDS, default 300)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotwash.envconfig import env_int
from hotwash.jobs.schedule import periodic
from hotwash.trackers import services

POLL_SECONDS = env_int("HOTWASH_TRACKER_POLL_SECONDS", 300, minimum=30)


@periodic("trackers.sync", every=timedelta(seconds=POLL_SECONDS))
def sync_trackers(now: datetime) -> dict[str, int]:
    return services.sync_all(now)

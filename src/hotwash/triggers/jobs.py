"""The time-based trigger checks, registered with `hotwash worker`.

Each job takes the time it runs for, is idempotent (every firing is claimed
once) and safe to run in several workers at once. `hotwash triggers check`
runs them all once, for cron and tests.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hotwash.jobs.schedule import periodic
from hotwash.triggers import alerting, heartbeats, resolution


@periodic("triggers.alerts", every=timedelta(seconds=30))
def alerts_past_threshold(now: datetime) -> int:
    return alerting.check_alerts(now)


@periodic("triggers.heartbeats", every=timedelta(seconds=30))
def silent_heartbeats(now: datetime) -> list[str]:
    return heartbeats.check_heartbeats(now)


@periodic("triggers.resolution_time", every=timedelta(minutes=1))
def incidents_open_too_long(now: datetime) -> list[int]:
    return resolution.check_resolution_times(now)

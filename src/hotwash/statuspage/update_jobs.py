"""The periodic job of stakeholder updates: the reminder scan
(update_reminders). Imported by hotwash.wiring.startup, so every process
knows it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from hotwash.jobs.schedule import periodic
from hotwash.statuspage.update_reminders import scan_update_reminders

logger = logging.getLogger("hotwash.statuspage")

# Every minute: intervals are counted in minutes, and the scan is one query
# over open incidents.
SCAN_INTERVAL = timedelta(minutes=1)


@periodic("statuspage.update_reminders", every=SCAN_INTERVAL)
def remind_update_due(now: datetime) -> None:
    result = scan_update_reminders(now)
    if result.decided:
        logger.info("Update reminders: %d decided, %d mails queued", result.decided, result.queued)

"""The periodic jobs of notifications (imported from AppConfig.ready)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings

from hotwash.jobs.schedule import periodic
from hotwash.notifications.reminders import scan_digests, scan_reminders

logger = logging.getLogger("hotwash.notifications")

# How often the reminder and digest scans run (read once, when the jobs are
# registered).
SCAN_INTERVAL = timedelta(seconds=settings.NOTIFICATION_SCAN_SECONDS)


@periodic("notifications.reminders", every=SCAN_INTERVAL)
def send_reminders(now: datetime) -> None:
    result = scan_reminders(now)
    if result.decided:
        logger.info(
            "Reminders: %d decided (%s), %d emails and %d webhook deliveries queued",
            result.decided,
            ", ".join(f"{kind} {count}" for kind, count in sorted(result.kinds.items())),
            result.emails,
            result.webhooks,
        )


@periodic("notifications.digests", every=SCAN_INTERVAL)
def send_digests(now: datetime) -> None:
    result = scan_digests(now)
    if result.decided:
        logger.info("Digests: %d queued", result.emails)

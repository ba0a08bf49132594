"""The periodic jobs of notifications (imported from AppConfig.ready)."""

from __future__ import annotations

import logging
from datetime import datetime

from hotwash.jobs.schedule import periodic
from hotwash.notifications.conf import scan_interval
from hotwash.notifications.reminders import scan_digests, scan_reminders

logger = logging.getLogger("hotwash.notifications")


@periodic("notifications.reminders", every=scan_interval())
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


@periodic("notifications.digests", every=scan_interval())
def send_digests(now: datetime) -> None:
    result = scan_digests(now)
    if result.decided:
        logger.info("Digests: %d queued", result.emails)

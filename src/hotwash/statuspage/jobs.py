"""The status page's periodic job (imported at start-up, hotwash.wiring.startup)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from hotwash.jobs.schedule import periodic
from hotwash.statuspage.pages import render_and_store

logger = logging.getLogger("hotwash.statuspage")


# Changes render the pages at once (statuspage.pages); this catches what
# changes with the clock alone: a maintenance window starting or ending, an
# incident leaving the 90-day history. A render that changes nothing writes
# nothing.
@periodic("statuspage.render", every=timedelta(minutes=1))
def render_status_page(now: datetime) -> None:
    changed = render_and_store()
    if changed:
        logger.info("Status page: %d stored pages changed", changed)

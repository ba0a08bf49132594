"""Insights' periodic jobs (imported at start-up, hotwash.wiring.startup)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotwash.insights.figures import forget_old_figures, keep_figures_current
from hotwash.jobs.schedule import periodic


# The figures people look at are computed again in the background when
# they no longer hold (hotwash.insights.figures); one query when none do.
@periodic("insights.keep_figures_current", every=timedelta(minutes=1))
def keep_current(now: datetime) -> None:
    keep_figures_current(now=now)


# Kept figures are of one day (the day is part of their key): yesterday's
# are never shown again.
@periodic("insights.forget_figures", every=timedelta(hours=6))
def forget_figures(now: datetime) -> None:
    forget_old_figures(now=now)

"""Chat's periodic job (imported at start-up, hotwash.wiring.startup)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotwash.chat.services import forget_old_receipts
from hotwash.jobs.schedule import periodic


# Event ids are kept only as long as a platform may still retry them.
@periodic("chat.forget_receipts", every=timedelta(hours=1))
def forget_receipts(now: datetime) -> None:
    forget_old_receipts(now=now)

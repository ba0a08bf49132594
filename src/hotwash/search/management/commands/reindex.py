"""`hotwash reindex`: write the whole search index again from the data.

The index is kept current by every change (hotwash.search.index) and was
built for existing data by the migration that created it; run this after
restoring a database by other means than `hotwash restore`, after changing
the stemming (a new Snowball version), or if a search ever misses
something it should find. One transaction: searches keep answering from the
old index until the new one commits."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import ngettext

from hotwash.search.index import rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the search index (incidents and their timelines, postmortems, action items, "
        "alert groups) from the database, in one transaction. Safe to run while Hotwash serves."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        with transaction.atomic():
            total = rebuild()
        self.stdout.write(
            ngettext(
                "Indexed %(count)s document in %(seconds).1f s.",
                "Indexed %(count)s documents in %(seconds).1f s.",
                total,
            )
            % {"count": total, "seconds": time.monotonic() - started}
        )

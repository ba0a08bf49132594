"""Atom feeds (RFC 4287) of the public updates, in one language.

Entries are the public updates of the incidents the public page shows
(never a private incident's, never an internal update), newest first. Each
entry has the elements RFC 4287 requires (id, title, updated) plus a link to
the status page and the update's text as content. The feed's `updated` is
its newest entry's time, so the bytes change only when the entries do.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from hotwash.core import atom
from hotwash.incidents.models import Service
from hotwash.statuspage.board import Board, IncidentEntry
from hotwash.statuspage.models import StakeholderUpdate

MAX_ENTRIES = 50


def entry_title(entry: IncidentEntry, update: StakeholderUpdate) -> str:
    """What a reader of the feed sees: the public services affected and the
    update's status (never the incident's internal title)."""
    names = ", ".join(row.name for row in entry.services)
    status = update.get_status_display()
    if names:
        return _("%(services)s: %(status)s") % {"services": names, "status": status}
    return _("Service incident: %(status)s") % {"status": status}


def atom_feed(board: Board, language: str, path: str, service: Service | None) -> bytes:
    """The feed at `path` in the active language (`language`)."""
    site = settings.SITE_URL
    page_url = site + reverse("statuspage:page")
    if service is None:
        title = _("Service status")
    else:
        title = _("Service status: %(service)s") % {"service": service.public_name or service.name}
    entries_of = {
        update.pk: entry for entry in [*board.current, *board.history] for update in entry.updates
    }
    entries = [
        atom.Entry(
            id=atom.tag_id(f"status-update-{update.pk}-{language}"),
            title=entry_title(entries_of[update.pk], update),
            updated=update.published_at,
            published=update.published_at,
            link=f"{page_url}#{entries_of[update.pk].anchor}",
            text=update.text(language),
        )
        for update in board.feed_updates(service)[:MAX_ENTRIES]
    ]
    return atom.render(
        atom.Feed(id=site + path, title=title, language=language, link=page_url, entries=entries)
    )

"""The public status page and its Atom feeds, rendered once per change.

Every change that can alter them (an update published, an incident's
status, privacy, severity or services, a maintenance window, a service's
public fields) calls `render_after_commit`, which renders every public page
in every language once the change has committed and stores those whose
bytes changed in `RenderedPage`, shared by every web process. The thin
serving layer (statuspage.fast) serves the stored bytes without Django's
middleware; the Django views serve the same rows when a request reaches
them. A periodic job renders again every minute, for what changes with the
clock alone (a maintenance window starting, the 90-day window moving).

Renders are serialised (PostgreSQL: an advisory lock; SQLite: its write
lock, taken at the start of every transaction), so a render always reads
everything committed before it and an older render can never overwrite a
newer one.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify

from hotwash.incidents.models import Service
from hotwash.statuspage.board import Board, build_board
from hotwash.statuspage.feeds import atom_feed
from hotwash.statuspage.models import RenderedPage
from hotwash.statuspage.subscriptions import SubscribeForm

logger = logging.getLogger("hotwash.statuspage")

HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
# A row whose version every render that changes anything raises, so that a
# page disappearing (a service no longer public) is noticed too.
GENERATION_PATH = "#generation"
ADVISORY_LOCK_KEY = 0x4857_5354  # "HWST": Hotwash status


@dataclass(frozen=True)
class Rendered:
    path: str
    body: bytes
    content_type: str
    language: str

    @property
    def etag(self) -> str:
        return etag_of(self.body)


def etag_of(body: bytes) -> str:
    """A strong ETag: the same bytes give the same tag in every process."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def service_slugs(services: list[Service]) -> dict[str, Service]:
    """URL segment -> public service: the slug of its public name, with its
    id added when two names give the same slug (or none)."""
    slugs: dict[str, Service] = {}
    for service in sorted(services, key=lambda s: s.pk):
        slug = slugify(service.public_name or service.name) or str(service.pk)
        if slug in slugs or slug == "internal":
            slug = f"{slug}-{service.pk}"
        slugs[slug] = service
    return slugs


def slug_of(service: Service, slugs: dict[str, Service]) -> str:
    return next(slug for slug, s in slugs.items() if s.pk == service.pk)


def render_public(now: datetime | None = None) -> list[Rendered]:
    """Every public page, in every language, as it reads at `now`."""
    now = now or timezone.now()
    board = build_board(now)
    slugs = service_slugs([row.service for row in board.services])
    pages: list[Rendered] = []
    for language in languages():
        with translation.override(language):
            pages.append(_page(board, slugs, language))
            pages.append(_feed(board, slugs, language, None))
            for service in slugs.values():
                pages.append(_feed(board, slugs, language, service))
    return pages


def page_context(board: Board, slugs: dict[str, Service], language: str) -> dict[str, Any]:
    by_service = {service.pk: slug for slug, service in slugs.items()}
    feed_links = [
        (row.name, reverse("statuspage:service-feed", args=[by_service[row.service.pk]]))
        for row in board.services
    ]
    return {
        "board": board,
        "language": language,
        "feed_url": reverse("statuspage:feed"),
        "service_feed_links": feed_links,
        "other_languages": [
            (code, name, _path_in(code, "statuspage:page"))
            for code, name in settings.LANGUAGES
            if code != language
        ],
        "services": [row.service for row in board.services],
    }


def _path_in(language: str, name: str) -> str:
    with translation.override(language):
        return reverse(name)


def _page(board: Board, slugs: dict[str, Service], language: str) -> Rendered:
    context = page_context(board, slugs, language)
    context["form"] = SubscribeForm(services=context["services"], initial={"language": language})
    body = render_to_string("statuspage/status/page.html", context).encode()
    return Rendered(reverse("statuspage:page"), body, HTML, language)


def _feed(
    board: Board, slugs: dict[str, Service], language: str, service: Service | None
) -> Rendered:
    if service is None:
        path = reverse("statuspage:feed")
    else:
        path = reverse("statuspage:service-feed", args=[slug_of(service, slugs)])
    body = atom_feed(board, language, path, service)
    return Rendered(path, body, ATOM, language)


# --- the store ---------------------------------------------------------------------


def _serialise_renders() -> None:
    """Inside the render's transaction: wait for any other render to commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
    # SQLite: Hotwash's transactions are IMMEDIATE, so this one already
    # holds the database's write lock.


def render_and_store(now: datetime | None = None) -> int:
    """Render every public page and store those that changed; returns how
    many changed (0: the stored pages were already right)."""
    with transaction.atomic():
        _serialise_renders()
        stamp = now or timezone.now()
        pages = render_public(stamp)
        existing = {row.path: row for row in RenderedPage.objects.only("path", "etag", "version")}
        generation = max((row.version for row in existing.values()), default=0) + 1
        wanted = {page.path for page in pages}
        changed = 0
        for page in pages:
            row = existing.get(page.path)
            if row is not None and row.etag == page.etag:
                continue
            changed += 1
            RenderedPage.objects.update_or_create(
                path=page.path,
                defaults={
                    "body": page.body,
                    "content_type": page.content_type,
                    "language": page.language,
                    "etag": page.etag,
                    "version": generation,
                    "rendered_at": stamp,
                },
            )
        gone = [path for path in existing if path not in wanted and path != GENERATION_PATH]
        if gone:
            changed += len(gone)
            RenderedPage.objects.filter(path__in=gone).delete()
        if changed:
            RenderedPage.objects.update_or_create(
                path=GENERATION_PATH,
                defaults={
                    "body": b"",
                    "content_type": "",
                    "language": "",
                    "etag": "",
                    "version": generation,
                    "rendered_at": stamp,
                },
            )
    return changed


def render_after_commit() -> None:
    """Render once the current transaction commits (at once outside one)."""
    transaction.on_commit(_render_now)


def _render_now() -> None:
    try:
        render_and_store()
    except Exception:
        # The change itself is committed; the next change or the periodic
        # render (every minute) brings the pages up to date.
        logger.exception("Rendering the status page failed")


def current_generation() -> int:
    return RenderedPage.objects.aggregate(top=Max("version"))["top"] or 0


def stored(path: str) -> RenderedPage | None:
    return RenderedPage.objects.filter(path=path).first()


# --- what causes a render (connected in hotwash.wiring.reactions) --------------------

# Incident fields whose change can alter the public page.
INCIDENT_FIELDS = {"status", "private", "severity", "services"}
SERVICE_FIELDS = ("public", "public_name", "name")


def on_update_published(**kwargs: Any) -> None:
    render_after_commit()


def on_incident_updated(changes: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if changes is None or INCIDENT_FIELDS & set(changes):
        render_after_commit()


def on_maintenance_changed(**kwargs: Any) -> None:
    render_after_commit()


def on_service_saved(instance: Service, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not set(update_fields) & set(SERVICE_FIELDS):
        return
    render_after_commit()


def on_deleted(**kwargs: Any) -> None:
    """A service, incident or update deleted (in the admin). An update's
    text edited in the admin shows with the next periodic render."""
    render_after_commit()

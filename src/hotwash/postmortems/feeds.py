"""Atom feeds of published postmortems and retrospectives, in one language.

The staff feed lists what its reader may read (`readable_postmortems`: a
private incident's postmortem only for those who can see the incident),
newest publication first, each entry with its summary and its lessons in
the feed's language (the original language where that version is not
written). Its reader is the signed-in person, or the owner of the feed token
in its address (hotwash.accounts.services.user_for_feed_token).

The public feed lists what the public pages show: the postmortems shared
publicly, each as the public version its author confirmed in that language
(redacted: hotwash.sharing, through `hooks.public_versions`), never the
live original; one without a confirmed version in that language is left
out, as the public pages leave it out.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from hotwash.core import atom
from hotwash.postmortems.hooks import PublicText, hooks
from hotwash.postmortems.models import Postmortem, Status
from hotwash.postmortems.queries import public_postmortems, readable_postmortems

MAX_ENTRIES = 50
# The sections an entry quotes, in this order: what happened and what was learned.
QUOTED_SECTIONS = ("summary", "lessons")


def published_for(user: User) -> list[Postmortem]:
    """The published postmortems `user` may read, newest publication first."""
    postmortems = (
        readable_postmortems(user)
        .filter(status=Status.PUBLISHED)
        .select_related("owner")
        .prefetch_related("sections")
        .order_by("-published_at", "-id")
    )
    return list(postmortems[:MAX_ENTRIES])


def entry_text(postmortem: Postmortem, language: str) -> str:
    """The summary and the lessons in `language`, else in the original language."""
    bodies: dict[tuple[str, str], str] = {
        (section.key, section.language): section.body.strip()
        for section in postmortem.sections.all()
    }
    parts = []
    for key in QUOTED_SECTIONS:
        body = bodies.get((key, language)) or bodies.get((key, postmortem.original_language), "")
        if body:
            parts.append(body)
    return "\n\n".join(parts)


def staff_feed(user: User, language: str, path: str) -> bytes:
    """The feed at `path` for `user`, in `language`."""
    site = settings.SITE_URL
    with translation.override(language):
        entries = [_entry(postmortem, language, site) for postmortem in published_for(user)]
        feed = atom.Feed(
            id=site + path,
            title=_("Published postmortems"),
            subtitle=_("What we learned from incidents and projects"),
            language=language,
            link=site + reverse("postmortems:learned"),
            entries=entries,
        )
    return atom.render(feed)


def _entry(postmortem: Postmortem, language: str, site: str) -> atom.Entry:
    published = postmortem.published_at or postmortem.updated_at
    return atom.Entry(
        id=atom.tag_id(f"postmortem-{postmortem.pk}-{language}"),
        title=f"{postmortem.ref}: {postmortem.title}",
        updated=max(published, postmortem.updated_at),
        published=published,
        link=site + reverse("postmortems:detail", args=[postmortem.pk]),
        text=entry_text(postmortem, language),
        authors=_authors([postmortem.owner] if postmortem.owner else []),
        categories=list(postmortem.tags or []),
    )


def _authors(people: Iterable[User]) -> list[str]:
    return [person.get_full_name() or person.get_username() for person in people]


def public_feed(language: str, path: str) -> bytes:
    """The public feed at `path`, in `language`: confirmed public versions only."""
    site = settings.SITE_URL
    postmortems = list(public_postmortems().order_by("-published_at", "-id")[:MAX_ENTRIES])
    texts = hooks.public_versions(postmortems, language)
    with translation.override(language):
        entries = [
            _public_entry(postmortem, texts[postmortem.pk], language, site)
            for postmortem in postmortems
            if postmortem.pk in texts and texts[postmortem.pk].title
        ]
        feed = atom.Feed(
            id=site + path,
            title=_("Published postmortems"),
            subtitle=_("What we learned from incidents and projects"),
            language=language,
            link=site + reverse("postmortems:public-index"),
            entries=entries,
        )
    return atom.render(feed)


def _public_entry(postmortem: Postmortem, text: PublicText, language: str, site: str) -> atom.Entry:
    published = postmortem.published_at or postmortem.updated_at
    body = "\n\n".join(
        text.sections[key].strip() for key in QUOTED_SECTIONS if text.sections.get(key, "").strip()
    )
    return atom.Entry(
        id=atom.tag_id(f"public-postmortem-{postmortem.pk}-{language}"),
        title=text.title,
        # The public version changes only when it is republished, with the
        # postmortem's publication: never with edits to the original.
        updated=published,
        published=published,
        link=site + reverse("postmortems:public-detail", args=[postmortem.pk]),
        text=body,
    )

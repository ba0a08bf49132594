"""Read-side queries shared by the pages, the API and the CLI.

Who may read a postmortem is decided here, once: `SHARED_PUBLICLY` says
which postmortems anyone may read without signing in, and
`readable_postmortems` (lists, counts, exports) agrees with
`services.can_read` (one postmortem). The incident's privacy always wins:
a postmortem of a private incident is never shared publicly, whatever its
public flag says. What the API, the Markdown export and the pages report
as "public" is the flag as it takes effect (`is_marked_public`), from the
same rule.

`PostmortemFilters` narrows a list the same way for the list page and the
API; "overdue" and the open statuses are the model's (`overdue_q`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from hotwash.accounts.permissions import AnyUser, is_admin
from hotwash.incidents.queries import with_visible_incident
from hotwash.postmortems.models import Kind, Postmortem, PostmortemQuerySet, Status, overdue_q

# Not about a private incident: the only postmortems that may be shared.
SHAREABLE = Q(incident__isnull=True) | Q(incident__private=False)
# Published, marked public, and not about a private incident.
SHARED_PUBLICLY = Q(status=Status.PUBLISHED, public=True) & SHAREABLE


def can_be_shared(postmortem: Postmortem) -> bool:
    """SHAREABLE for one postmortem in hand: not while its incident is
    private (the header form then does not offer sharing)."""
    return postmortem.incident_id is None or not postmortem.incident.private  # type: ignore[union-attr]


def is_marked_public(postmortem: Postmortem) -> bool:
    """The public flag as it takes effect: shared once published. A flag
    left set on a private incident's postmortem counts for nothing."""
    return postmortem.public and can_be_shared(postmortem)


def is_shared_publicly(postmortem: Postmortem) -> bool:
    """The same rule as SHARED_PUBLICLY, for one postmortem in hand."""
    return postmortem.status == Status.PUBLISHED and is_marked_public(postmortem)


def public_postmortems() -> PostmortemQuerySet:
    """What the public pages (no sign-in) may show."""
    return Postmortem.objects.filter(SHARED_PUBLICLY)


def readable_postmortems(user: AnyUser) -> PostmortemQuerySet:
    """Everything `user` may read, as `services.can_read` decides one by one:
    retrospectives, postmortems of incidents they can see, and those shared
    publicly."""
    postmortems = Postmortem.objects.all()
    if not user.is_authenticated:
        return postmortems.filter(SHARED_PUBLICLY)
    if is_admin(user):
        return postmortems
    return postmortems.filter(
        Q(incident__isnull=True) | with_visible_incident(user) | SHARED_PUBLICLY
    )


@dataclass(frozen=True)
class PostmortemFilters:
    """What a list of postmortems is narrowed to: the page and the API read
    their parameters each in their own way (the page ignores a value it does
    not know, the API refuses it) and filter with this."""

    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    owner: str | None = None  # a username
    incident: int | None = None  # the incident's number
    overdue: bool | None = None  # None: either way
    mine: bool = False  # owned or co-written by the reader
    title: str | None = None  # text the title contains
    tag: str | None = None

    @classmethod
    def from_page(cls, params: Mapping[str, Any]) -> PostmortemFilters:
        """The list page's form: one status and one kind, an owner, and
        switches for overdue and mine; values that match nothing are left
        out rather than refused."""
        status, kind = params.get("status"), params.get("kind")
        return cls(
            statuses=(status,) if status in Status.values else (),
            kinds=(kind,) if kind in Kind.values else (),
            owner=params.get("owner") or None,
            overdue=True if params.get("overdue") else None,
            mine=bool(params.get("mine")),
        )

    def apply(
        self, postmortems: QuerySet[Postmortem], reader: AnyUser, today: date | None = None
    ) -> QuerySet[Postmortem]:
        """`postmortems` narrowed, newest first; `today` (the reader's day by
        default) decides what is overdue."""
        if self.statuses:
            postmortems = postmortems.filter(status__in=self.statuses)
        if self.kinds:
            postmortems = postmortems.filter(kind__in=self.kinds)
        if self.owner is not None:
            postmortems = postmortems.filter(owner__username=self.owner)
        if self.incident is not None:
            postmortems = postmortems.filter(incident_id=self.incident)
        if self.overdue is not None:
            late = overdue_q(today or timezone.localdate())
            postmortems = postmortems.filter(late) if self.overdue else postmortems.exclude(late)
        if self.mine:
            mine = Q(owner=reader) | Q(authors=reader)
            postmortems = postmortems.filter(mine).distinct()
        if self.title is not None:
            postmortems = postmortems.filter(title__icontains=self.title)
        if self.tag is not None:
            postmortems = postmortems.filter(pk__in=_tagged(postmortems, self.tag))
        return postmortems.select_related("incident", "owner").order_by("-created_at", "-id")


def _tagged(postmortems: QuerySet[Postmortem], tag: str) -> list[int]:
    """Those of `postmortems` carrying `tag`, in any case. Tags are a JSON
    list; databases disagree on searching inside one, so the (short) lists
    are compared here."""
    wanted = tag.casefold()
    return [
        pk
        for pk, tags in postmortems.values_list("pk", "tags")
        if any(str(item).casefold() == wanted for item in tags or [])
    ]


# The section whose first lines are a postmortem's key lessons ("What we
# learned", similar incidents).
LESSONS_SECTION = "lessons"


def key_lessons(
    postmortem: Postmortem, language: str | None = None, *, lines: int = 4
) -> list[str]:
    """The first `lines` lines of the postmortem's lessons, in `language`
    (the active one by default), else in its original language; list
    markers taken off. Reads `postmortem.sections.all()`: prefetch them."""
    language = language or get_language() or "en"
    bodies = {(s.key, s.language): s.body for s in postmortem.sections.all()}
    body = bodies.get((LESSONS_SECTION, language)) or bodies.get(
        (LESSONS_SECTION, postmortem.original_language), ""
    )
    stripped = [line.strip().lstrip("-*0123456789.) ").strip() for line in body.splitlines()]
    return [line for line in stripped if line][:lines]

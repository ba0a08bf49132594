"""Read-side functions for action items: who can see which, finding one,
and the filters shared by the list page, the API and the CLI.

Items of a private incident are visible only to those who can see the
incident (its participants and admins); everyone signed in sees the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import AnyUser, is_admin
from hotwash.actions.models import OPEN_STATUSES, REF_PREFIX, ActionItem, Status, overdue_q
from hotwash.core import refs
from hotwash.core.errors import InvalidInput, NotFound
from hotwash.core.refs import ref_number
from hotwash.incidents.queries import can_view, get_incident, with_visible_incident
from hotwash.postmortems.hooks import ListedActionItem
from hotwash.postmortems.models import REF_PREFIX as POSTMORTEM_PREFIX
from hotwash.postmortems.models import Postmortem
from hotwash.teams.models import Team

# A status filter value meaning "still to do": open or in progress.
ACTIVE = "active"

SORTS = {
    "due": ("due_on", "id"),
    "-due": ("-due_on", "-id"),
    "-created": ("-created_at", "-id"),
    "-updated": ("-updated_at", "-id"),
}
DEFAULT_SORT = "due"


def visible_items(user: AnyUser) -> QuerySet[ActionItem]:
    items = ActionItem.objects.all()
    if not user.is_authenticated:
        return items.none()
    if is_admin(user):
        return items
    # An item follows its incident's visibility (one rule, in incidents'
    # queries); an item of no incident is everyone's who is signed in.
    return items.filter(Q(incident__isnull=True) | with_visible_incident(user))


def parse_ref(ref: str | int) -> int:
    return refs.parse_ref(
        ref, REF_PREFIX, _("%(ref)s is not an action item reference; use AI-7 or 7.")
    )


def get_item(user: AnyUser, ref: str | int) -> ActionItem:
    """The item `ref` names, if `user` may see it; otherwise NotFound, the
    same for an item of a private incident as for one that does not exist."""
    number = parse_ref(ref)
    item = (
        visible_items(user)
        .select_related("owner", "team", "incident", "postmortem", "created_by")
        .filter(pk=number)
        .first()
    )
    if item is None:
        raise NotFound(_("No action item %(ref)s.") % {"ref": f"{REF_PREFIX}{number}"})
    return item


def parse_postmortem(user: AnyUser, ref: str | int) -> Postmortem:
    """The postmortem `ref` (PM-3 or 3) names, if `user` may see it: one of a
    private incident only for those who can see the incident."""
    number = ref_number(ref, POSTMORTEM_PREFIX)
    if number is None:
        raise InvalidInput(
            _("%(value)s is not a postmortem reference; use PM-3 or 3.") % {"value": ref},
            field="postmortem",
        )
    postmortem = Postmortem.objects.select_related("incident").filter(pk=number).first()
    if postmortem is None or (
        postmortem.incident is not None and not can_view(user, postmortem.incident)
    ):
        raise NotFound(_("No postmortem %(ref)s.") % {"ref": f"{POSTMORTEM_PREFIX}{number}"})
    return postmortem


@dataclass(frozen=True)
class ItemFilters:
    """What the list shows. Parsed from query parameters (the page, the API
    and the CLI send the same ones); a bad value is an error naming it."""

    owner: str = ""
    team: str = ""
    statuses: tuple[str, ...] = ()
    overdue: bool = False
    incident: int | None = None
    postmortem: int | None = None
    text: str = ""
    sort: str = DEFAULT_SORT

    @classmethod
    def parse(cls, params: Any, user: AnyUser) -> ItemFilters:
        def values(name: str) -> list[str]:
            if hasattr(params, "getlist"):
                raw = params.getlist(name)
            else:
                raw = params.get(name) or []
                raw = raw if isinstance(raw, list | tuple) else [raw]
            return [v.strip() for item in raw for v in str(item).split(",") if v.strip()]

        def first(name: str) -> str:
            found = values(name)
            return found[0] if found else ""

        owner = first("owner")
        if _truthy(first("mine"), "mine") and user.is_authenticated:
            owner = user.get_username()
        statuses = tuple(v.lower() for v in values("status"))
        for status in statuses:
            if status not in Status.values and status != ACTIVE:
                raise InvalidInput(
                    _("Unknown status %(value)s: use one of %(choices)s.")
                    % {"value": status, "choices": ", ".join([ACTIVE, *Status.values])},
                    field="status",
                )
        team = first("team")
        if team and not Team.objects.filter(Q(slug=team) | Q(name__iexact=team)).exists():
            raise InvalidInput(_("There is no team named %(team)s.") % {"team": team}, field="team")
        incident = None
        postmortem = None
        try:
            if first("incident"):
                incident = get_incident(user, first("incident")).pk
        except NotFound as error:
            raise NotFound(error.message, field="incident") from None
        try:
            if first("postmortem"):
                postmortem = parse_postmortem(user, first("postmortem")).pk
        except NotFound as error:
            raise NotFound(error.message, field="postmortem") from None
        sort = first("sort") or DEFAULT_SORT
        if sort not in SORTS:
            raise InvalidInput(
                _("Unknown sort %(value)s: use one of %(choices)s.")
                % {"value": sort, "choices": ", ".join(SORTS)},
                field="sort",
            )
        return cls(
            owner=owner,
            team=team,
            statuses=statuses,
            overdue=_truthy(first("overdue"), "overdue"),
            incident=incident,
            postmortem=postmortem,
            text=first("q")[:200],
            sort=sort,
        )

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.owner
            or self.team
            or self.statuses
            or self.overdue
            or self.incident
            or self.postmortem
            or self.text
        )

    def apply(self, items: QuerySet[ActionItem], today: date | None = None) -> QuerySet[ActionItem]:
        today = today or timezone.localdate()
        if self.owner:
            items = items.filter(owner__username=self.owner)
        if self.team:
            items = items.filter(Q(team__slug=self.team) | Q(team__name__iexact=self.team))
        wanted = {s for s in self.statuses if s != ACTIVE}
        if ACTIVE in self.statuses:
            wanted |= set(OPEN_STATUSES)
        if wanted:
            items = items.filter(status__in=sorted(wanted))
        if self.overdue:
            items = items.filter(overdue_q(today))
        if self.incident is not None:
            items = items.filter(incident_id=self.incident)
        if self.postmortem is not None:
            items = items.filter(postmortem_id=self.postmortem)
        if self.text:
            items = items.filter(title__icontains=self.text)
        return items.order_by(*SORTS[self.sort])


def search_items(user: AnyUser, filters: ItemFilters) -> QuerySet[ActionItem]:
    return filters.apply(visible_items(user)).select_related(
        "owner", "team", "incident", "postmortem"
    )


def _truthy(value: str, name: str) -> bool:
    text = value.strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise InvalidInput(
        _("%(name)s must be true or false, not %(value)s.") % {"name": name, "value": value},
        field=name,
    )


def items_for(user: AnyUser, *, incident: Any = None, postmortem: Any = None) -> list[ActionItem]:
    """Every item of an incident or a postmortem the user can see, for the
    include on the incident and postmortem pages."""
    items = visible_items(user).select_related("owner", "team")
    if postmortem is not None:
        items = items.filter(postmortem=postmortem)
    elif incident is not None:
        items = items.filter(Q(incident=incident) | Q(postmortem__incident=incident))
    else:
        return []
    return list(items.order_by("due_on", "id"))


def postmortem_items(postmortem: Postmortem, reader: AnyUser | None) -> list[ListedActionItem]:
    """The postmortem's action items `reader` may see (None: all of them), as
    its Markdown export lists them (postmortems.hooks.action_items)."""
    candidates = ActionItem.objects.all() if reader is None else visible_items(reader)
    items = candidates.filter(postmortem=postmortem).select_related("owner").order_by("id")
    return [
        ListedActionItem(
            pk=item.pk,
            title=item.title,
            owner=item.owner.username if item.owner else None,
            due_on=item.due_on,
            status=str(item.get_status_display()),
        )
        for item in items
    ]


def postmortem_progress(
    postmortems: list[Postmortem], reader: AnyUser
) -> dict[int, tuple[int, int]]:
    """For each postmortem, how many of its action items `reader` may see
    are done, out of how many (postmortems.hooks.action_progress): one query
    for the whole list."""
    counts: dict[int, tuple[int, int]] = {}
    rows = (
        visible_items(reader)
        .filter(postmortem__in=[p.pk for p in postmortems])
        .values("postmortem_id")
        .annotate(total=Count("id"), done=Count("id", filter=Q(status=Status.DONE)))
    )
    for row in rows:
        counts[row["postmortem_id"]] = (row["done"], row["total"])
    return counts

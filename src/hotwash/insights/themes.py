"""Themes: which contributing factors recur across postmortems, over time,
by service and by team, and how far their action items have got.

Read side only. A postmortem counts once per factor it is tagged with
(hotwash.postmortems.factors), in the period its incident was declared in
(a retrospective, which has none: when it was started). Only postmortems
the reader may read are counted (`readable_postmortems`: a private
incident's postmortem counts for its participants and admins only), so
two readers may see different figures; neither learns of what they cannot
see. Postmortems are few next to incidents (one per incident at most), so
rows are loaded once and counted here, the same on both databases.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from hotwash.accounts.permissions import AnyUser
from hotwash.actions.models import ActionItem
from hotwash.actions.models import Status as ItemStatus
from hotwash.incidents.models import Incident, Service
from hotwash.postmortems.factors import Factor, taxonomy
from hotwash.postmortems.models import ContributingFactor, Postmortem
from hotwash.postmortems.queries import readable_postmortems
from hotwash.teams.models import Team

# How far back the page looks, in months; the default is a year.
PERIODS = (3, 6, 12, 24, 36)
DEFAULT_MONTHS = 12
MONTH = "month"
QUARTER = "quarter"
GROUPINGS = (MONTH, QUARTER)


@dataclass(frozen=True)
class ThemeFilters:
    """What the page narrows to. Read leniently from the query string (as
    the other list pages do): a value that is not offered falls back to the
    default rather than failing, and a name that matches nothing finds
    nothing."""

    months: int = DEFAULT_MONTHS
    by: str = QUARTER
    service: str = ""  # a service's name
    team: str = ""  # a team's slug
    type: str = ""  # an incident type's key
    factor: str = ""  # a taxonomy key or a free tag

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> ThemeFilters:
        try:
            months = int(params.get("months") or DEFAULT_MONTHS)
        except ValueError:
            months = DEFAULT_MONTHS
        by = str(params.get("by") or QUARTER)
        return cls(
            months=months if months in PERIODS else DEFAULT_MONTHS,
            by=by if by in GROUPINGS else QUARTER,
            service=str(params.get("service") or "").strip(),
            team=str(params.get("team") or "").strip(),
            type=str(params.get("type") or "").strip(),
            factor=" ".join(str(params.get("factor") or "").split()),
        )

    def query(self, **changes: Any) -> dict[str, str]:
        """These filters as query parameters (with `changes`), defaults left out."""
        values = {
            "months": "" if self.months == DEFAULT_MONTHS else str(self.months),
            "by": "" if self.by == QUARTER else self.by,
            "service": self.service,
            "team": self.team,
            "type": self.type,
            "factor": self.factor,
        }
        values.update({name: str(value) for name, value in changes.items()})
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class Bucket:
    """One month or quarter of the period: "2026-03" or "2026-Q1"."""

    label: str
    start: datetime
    end: datetime


def _first_of_month(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _bucket(day: date, by: str) -> tuple[str, date, date]:
    if by == MONTH:
        first = day.replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return f"{first:%Y-%m}", first, last
    quarter = (day.month - 1) // 3
    first = date(day.year, quarter * 3 + 1, 1)
    end_month = quarter * 3 + 3
    last = date(day.year, end_month, calendar.monthrange(day.year, end_month)[1])
    return f"{day.year}-Q{quarter + 1}", first, last


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def buckets(today: date, months: int, by: str) -> list[Bucket]:
    """The months or quarters from the start of the month `months - 1`
    before `today`'s to the one holding `today` (the site's time zone). A
    quarter only partly inside the period is shown whole."""
    day = _first_of_month(today, months - 1)
    found: list[Bucket] = []
    while day <= today:
        label, first, last = _bucket(day, by)
        next_day = _first_of_month(last, -1)
        found.append(Bucket(label, _aware(first), _aware(next_day)))
        day = next_day
    return found


@dataclass
class ItemCounts:
    """A set of postmortems' action items by how far they have got."""

    total: int = 0
    done: int = 0
    open: int = 0  # open or in progress
    wont_do: int = 0

    def add(self, other: ItemCounts) -> None:
        self.total += other.total
        self.done += other.done
        self.open += other.open
        self.wont_do += other.wont_do


@dataclass
class TaggedPostmortem:
    postmortem: Postmortem
    when: datetime
    factors: list[Factor] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    items: ItemCounts = field(default_factory=ItemCounts)


@dataclass
class Theme:
    """One factor (a taxonomy key, or a free tag: `key` blank) and the
    postmortems tagged with it, newest first."""

    value: str  # the key, or the tag as first written
    name: str
    key: str
    postmortems: list[TaggedPostmortem] = field(default_factory=list)
    items: ItemCounts = field(default_factory=ItemCounts)
    per_bucket: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.postmortems)


@dataclass
class Themes:
    filters: ThemeFilters
    buckets: list[Bucket]
    # Every taxonomy factor, in the policy's order (those never tagged
    # too, at zero), then any key the policy has since dropped.
    factors: list[Theme]
    free_tags: list[Theme]  # most frequent first
    postmortems: list[TaggedPostmortem]  # every one counted, newest first
    # {service name: {factor value: postmortems}}, and the same by team name.
    by_service: dict[str, dict[str, int]]
    by_team: dict[str, dict[str, int]]

    @property
    def tagged(self) -> list[Theme]:
        """Taxonomy factors with at least one postmortem."""
        return [theme for theme in self.factors if theme.count]


def _filtered(postmortems: QuerySet[Postmortem], filters: ThemeFilters) -> QuerySet[Postmortem]:
    if filters.type:
        postmortems = postmortems.filter(incident__type=filters.type)
    if filters.service:
        postmortems = postmortems.filter(pk__in=_concerning(Q(name=filters.service)).values("pk"))
    if filters.team:
        team_services = Service.objects.filter(teams__slug=filters.team)
        postmortems = postmortems.filter(pk__in=_concerning(Q(pk__in=team_services)).values("pk"))
    if filters.factor:
        wanted = filters.factor
        tagged = ContributingFactor.objects.filter(Q(key=wanted) | Q(key="", tag__iexact=wanted))
        postmortems = postmortems.filter(pk__in=tagged.values("postmortem_id"))
    return postmortems


def _concerning(services: Q) -> QuerySet[Postmortem]:
    """Postmortems about one of these services: their incident's, or a
    retrospective's own."""
    chosen = Service.objects.filter(services)
    return Postmortem.objects.filter(
        Q(incident__services__in=chosen) | Q(incident__isnull=True, services__in=chosen)
    )


def _services_and_teams(
    rows: list[TaggedPostmortem],
) -> None:
    """Fill in each postmortem's services (its incident's, or its own) and
    the teams that own them, in four queries."""
    incident_rows = {row.postmortem.incident_id: row for row in rows if row.postmortem.incident_id}
    own_rows = {row.postmortem.pk: row for row in rows if not row.postmortem.incident_id}
    service_ids: dict[int, set[int]] = defaultdict(set)  # postmortem pk -> service ids
    names: dict[int, str] = {}
    links = Incident.services.through.objects.filter(incident_id__in=list(incident_rows))
    for incident_id, service_id, name in links.values_list(
        "incident_id", "service_id", "service__name"
    ):
        service_ids[incident_rows[incident_id].postmortem.pk].add(service_id)
        names[service_id] = name
    own = Postmortem.services.through.objects.filter(postmortem_id__in=list(own_rows))
    for pk, service_id, name in own.values_list("postmortem_id", "service_id", "service__name"):
        service_ids[pk].add(service_id)
        names[service_id] = name
    teams: dict[int, set[str]] = defaultdict(set)  # service id -> team names
    owners = Team.services.through.objects.filter(service_id__in=list(names))
    for service_id, team_name in owners.values_list("service_id", "team__name"):
        teams[service_id].add(team_name)
    for row in rows:
        ids = service_ids.get(row.postmortem.pk, set())
        row.services = sorted(names[pk] for pk in ids)
        row.teams = sorted({team for pk in ids for team in teams[pk]})


def _item_counts(rows: list[TaggedPostmortem]) -> None:
    by_pk = {row.postmortem.pk: row for row in rows}
    items = ActionItem.objects.filter(postmortem_id__in=list(by_pk))
    for pk, status in items.values_list("postmortem_id", "status"):
        counts = by_pk[pk].items
        counts.total += 1
        if status == ItemStatus.DONE:
            counts.done += 1
        elif status == ItemStatus.WONT_DO:
            counts.wont_do += 1
        else:
            counts.open += 1


def build_themes(user: AnyUser, filters: ThemeFilters, *, today: date | None = None) -> Themes:
    """The themes `user` may see for `filters`, up to `today` (the site's
    day by default)."""
    today = today or timezone.localdate()
    periods = buckets(today, filters.months, filters.by)
    start, end = periods[0].start, periods[-1].end
    postmortems = (
        _filtered(readable_postmortems(user), filters)
        .filter(pk__in=ContributingFactor.objects.values("postmortem_id"))
        .annotate(when=Coalesce("incident__declared_at", "created_at"))
        .filter(when__gte=start, when__lt=end)
        .select_related("incident")
        .order_by("-when", "-id")
    )
    rows = [TaggedPostmortem(postmortem=pm, when=pm.when) for pm in postmortems]
    by_pk = {row.postmortem.pk: row for row in rows}
    tags = ContributingFactor.objects.filter(postmortem_id__in=list(by_pk)).order_by(
        "postmortem_id", "position", "id"
    )
    for pk, key, tag in tags.values_list("postmortem_id", "key", "tag"):
        by_pk[pk].factors.append(Factor(key=key, tag=tag))
    _services_and_teams(rows)
    _item_counts(rows)
    return _count(filters, periods, rows)


def _count(filters: ThemeFilters, periods: list[Bucket], rows: list[TaggedPostmortem]) -> Themes:
    factors: dict[str, Theme] = {
        key: Theme(value=key, name=Factor(key=key).name(), key=key) for key in taxonomy()
    }
    free: dict[str, Theme] = {}
    by_service: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_team: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        for factor in row.factors:
            if factor.key:
                theme = factors.setdefault(
                    factor.key, Theme(value=factor.key, name=factor.name(), key=factor.key)
                )
            else:
                theme = free.setdefault(
                    factor.tag.casefold(), Theme(value=factor.tag, name=factor.tag, key="")
                )
            theme.postmortems.append(row)
            theme.items.add(row.items)
            for service in row.services:
                by_service[service][theme.value] += 1
            for team in row.teams:
                by_team[team][theme.value] += 1
    for theme in [*factors.values(), *free.values()]:
        theme.per_bucket = [
            sum(1 for row in theme.postmortems if bucket.start <= row.when < bucket.end)
            for bucket in periods
        ]
    return Themes(
        filters=filters,
        buckets=periods,
        factors=list(factors.values()),
        free_tags=sorted(free.values(), key=lambda theme: (-theme.count, theme.name.casefold())),
        postmortems=rows,
        by_service={name: dict(counts) for name, counts in sorted(by_service.items())},
        by_team={name: dict(counts) for name, counts in sorted(by_team.items())},
    )

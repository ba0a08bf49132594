"""The follow-through dashboard: per team and per person, what is open,
what is slipping, and how reliably things get done.

Definitions (also in docs/action-items.md):

- open: items still to do (open or in progress), whatever their due date;
- overdue: open items whose due date is before today;
- done: items marked done within the period;
- done on time: of those done items, the share (%) done on or before their
  due date (the day they were marked done, in the viewer's time zone);
- median days to done (and 90th percentile): from creation to done, for the
  items done within the period;
- postmortems overdue: required postmortems not yet approved or published
  whose due date has passed; per person by postmortem owner, per team by the
  owner's team memberships.

Counts of open and overdue items are computed by the database (GROUP BY);
durations are read for the done items of the period only, as plain values,
and their median and percentile computed in Python. Either way the page
costs a fixed number of queries, whatever the number of teams or people.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count
from django.utils import timezone

from hotwash.actions.models import OPEN_STATUSES, Status, overdue_q
from hotwash.actions.queries import visible_items
from hotwash.postmortems.queries import readable_postmortems
from hotwash.teams.models import Team

PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90


@dataclass
class Row:
    """One team's or one person's figures. `key` is the filter value for the
    list (team short name or username); empty for "no team"."""

    key: str
    name: str
    open: int = 0
    overdue: int = 0
    done: int = 0
    done_with_due: int = 0
    done_on_time: int = 0
    postmortems_overdue: int = 0
    days_to_done: list[float] = field(default_factory=list)

    @property
    def on_time_percent(self) -> int | None:
        if not self.done_with_due:
            return None
        return round(100 * self.done_on_time / self.done_with_due)

    @property
    def median_days(self) -> float | None:
        return median(self.days_to_done)

    @property
    def p90_days(self) -> float | None:
        return percentile(self.days_to_done, 90)

    @property
    def is_slipping(self) -> bool:
        return bool(self.overdue or self.postmortems_overdue)

    def sort_key(self) -> tuple[Any, ...]:
        # What is slipping first: most overdue, then most postmortems
        # overdue, then most still open.
        return (-self.overdue, -self.postmortems_overdue, -self.open, self.name.lower())


@dataclass
class Dashboard:
    today: date
    period: int | None  # days; None: all time
    since: datetime | None
    teams: list[Row]
    people: list[Row]
    total: Row


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: list[float], pct: int) -> float | None:
    """The `pct`th percentile, interpolated between the closest ranks
    (the "inclusive" method: the minimum and maximum are the 0th and 100th)."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def parse_period(value: str | None) -> int | None:
    """Days of history for the "done" figures: 30, 90 (default), 365 or all."""
    if value == "all":
        return None
    try:
        days = int(value or DEFAULT_PERIOD)
    except ValueError:
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


def build(user: User | AnonymousUser, *, period: int | None = DEFAULT_PERIOD) -> Dashboard:
    now = timezone.now()
    today = timezone.localdate(now)
    since = now - timedelta(days=period) if period is not None else None
    items = visible_items(user)

    teams: dict[int | None, Row] = {}
    people: dict[int, Row] = {}
    total = Row(key="", name="")

    def team_row(team_id: int | None) -> Row:
        return teams.setdefault(team_id, Row(key="", name=""))

    def person_row(owner_id: int) -> Row:
        return people.setdefault(owner_id, Row(key="", name=""))

    # Open and overdue, counted by the database.
    open_items = items.filter(status__in=OPEN_STATUSES)
    is_late = overdue_q(today)
    for team_id, n_open, n_overdue in (
        open_items.values("team_id")
        .annotate(n=Count("id"), late=Count("id", filter=is_late))
        .values_list("team_id", "n", "late")
        .order_by()
    ):
        row = team_row(team_id)
        row.open, row.overdue = n_open, n_overdue
        total.open += n_open
        total.overdue += n_overdue
    for owner_id, n_open, n_overdue in (
        open_items.filter(owner__isnull=False)
        .values("owner_id")
        .annotate(n=Count("id"), late=Count("id", filter=is_late))
        .values_list("owner_id", "n", "late")
        .order_by()
    ):
        row = person_row(owner_id)
        row.open, row.overdue = n_open, n_overdue

    # Done within the period: durations need the rows (one query, values only).
    done = items.filter(status=Status.DONE, done_at__isnull=False)
    if since is not None:
        done = done.filter(done_at__gte=since)
    for owner_id, team_id, created_at, done_at, due_on in done.values_list(
        "owner_id", "team_id", "created_at", "done_at", "due_on"
    ).order_by():
        rows = [team_row(team_id), total]
        if owner_id is not None:
            rows.append(person_row(owner_id))
        if done_at is not None:
            _count_done(rows, created_at, done_at, due_on)

    # Postmortems overdue, by owner; by team through the owners' memberships.
    late_postmortems = readable_postmortems(user).overdue(today)
    late_by_owner: dict[int | None, int] = defaultdict(int)
    for late_owner in late_postmortems.values_list("owner_id", flat=True).order_by():
        late_by_owner[late_owner] += 1
        total.postmortems_overdue += 1
    for pm_owner, count in late_by_owner.items():
        if pm_owner is not None:
            person_row(pm_owner).postmortems_overdue += count
    owners = [pk for pk in late_by_owner if pk is not None]
    if owners:
        memberships = Team.members.through.objects.filter(user_id__in=owners)
        for team_id, user_id in memberships.values_list("team_id", "user_id"):
            team_row(team_id).postmortems_overdue += late_by_owner[user_id]

    _name_teams(teams)
    _name_people(people)
    return Dashboard(
        today=today,
        period=period,
        since=since,
        teams=sorted(teams.values(), key=Row.sort_key),
        people=sorted(people.values(), key=Row.sort_key),
        total=total,
    )


def _count_done(rows: Iterable[Row], created_at: datetime, done_at: datetime, due_on: Any) -> None:
    days = max((done_at - created_at).total_seconds(), 0) / 86400
    on_time = due_on is not None and timezone.localdate(done_at) <= due_on
    for row in rows:
        row.done += 1
        row.days_to_done.append(days)
        if due_on is not None:
            row.done_with_due += 1
            row.done_on_time += on_time


def _name_teams(teams: dict[int | None, Row]) -> None:
    named = Team.objects.filter(pk__in=[pk for pk in teams if pk is not None])
    for team in named.only("pk", "name", "slug"):
        teams[team.pk].key, teams[team.pk].name = team.slug, team.name
    for pk in [pk for pk, row in teams.items() if pk is not None and not row.name]:
        del teams[pk]  # deleted meanwhile


def _name_people(people: dict[int, Row]) -> None:
    users = User.objects.filter(pk__in=list(people)).only(
        "pk", "username", "first_name", "last_name"
    )
    for person in users:
        row = people[person.pk]
        row.key = person.get_username()
        row.name = person.get_full_name() or person.get_username()

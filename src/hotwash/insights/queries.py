"""The figures behind the insights page, aggregated in the database.

Everything starts from `scoped_incidents`: the incidents the reader may see
(`visible_incidents`: a private incident counts only for its readers),
declared in the period, narrowed by the filters. Postmortems, action items
and role history are counted through those incidents, so every figure
answers to the same filters and the same privacy rule.

Times are grouped by week (weeks start on Monday at midnight in the reader's
time zone, counted from the period's first Monday) and by calendar quarter
(in UTC). Durations are percentiles, never means: a few long incidents
would hide the typical one in a mean.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import CharField, Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.actions import models as actions
from hotwash.core.errors import InvalidInput
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident, RoleAssignment, severity_level
from hotwash.incidents.queries import visible_incidents
from hotwash.insights.charts import Box, box_from_values
from hotwash.insights.sql import QuarterIndex, SecondsBetween, WeekIndex
from hotwash.policies import incident_types
from hotwash.postmortems import models as postmortems
from hotwash.postmortems.models import Comment, Postmortem
from hotwash.reports.models import Kind as ReportKind
from hotwash.reports.queries import counts_per_kind_and_month
from hotwash.teams.models import Team
from hotwash.triggers.models import Action, PolicyFiring, Proposal, ProposalKind, ProposalStatus

AnyUser = User | AnonymousUser

# --- the period and the filters ---------------------------------------------

PERIODS = ("4w", "quarter", "12m")
DEFAULT_PERIOD = "quarter"
PERIOD_WEEKS = {"4w": 4, "quarter": 13, "12m": 52}
# A custom period longer than this would draw a few hundred weekly bars.
MAX_WEEKS = 156


@dataclass(frozen=True)
class Period:
    """From Monday `start` (local midnight) for `weeks` whole weeks; the
    last week ends at `end` (exclusive) and contains today by default."""

    key: str
    start: datetime
    weeks: int

    @property
    def end(self) -> datetime:
        return self.week_start(self.weeks)

    def week_start(self, index: int) -> datetime:
        # Through the calendar, not by adding 7 days of 24 hours: a week that crosses a
        # daylight-saving change still starts at midnight.
        day = timezone.localtime(self.start).date() + timedelta(weeks=index)
        return timezone.make_aware(datetime.combine(day, time.min))

    def week_days(self, index: int) -> tuple[date, date]:
        """The first and last day of week `index`, for links to the list."""
        first = timezone.localtime(self.week_start(index)).date()
        return first, first + timedelta(days=6)

    @property
    def first_day(self) -> date:
        return timezone.localtime(self.start).date()

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(weeks=self.weeks, days=-1)

    def quarters(self) -> list[int]:
        """The quarter indexes (see QuarterIndex) the period touches."""
        first, last = self.first_day, self.last_day
        return list(range(quarter_index(first), quarter_index(last) + 1))


def quarter_index(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def quarter_label(index: int) -> str:
    return f"{index // 4} Q{index % 4 + 1}"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_for(key: str, today: date) -> Period:
    weeks = PERIOD_WEEKS[key]
    first = _monday(today) - timedelta(weeks=weeks - 1)
    return Period(key, timezone.make_aware(datetime.combine(first, time.min)), weeks)


def custom_period(since: date, until: date) -> Period:
    """The whole weeks that cover `since` to `until` (both included)."""
    if until < since:
        raise InvalidInput(_("until is before since."), field="until")
    first = _monday(since)
    weeks = (until - first).days // 7 + 1
    if weeks > MAX_WEEKS:
        raise InvalidInput(
            _("The period is too long: at most %(weeks)s weeks.") % {"weeks": MAX_WEEKS},
            field="until",
        )
    return Period("custom", timezone.make_aware(datetime.combine(first, time.min)), weeks)


@dataclass(frozen=True)
class Filters:
    period: Period
    severities: tuple[int, ...] = ()
    types: tuple[str, ...] = ()
    service: str = ""
    team: str = ""  # a team's slug

    @classmethod
    def parse(cls, params: Mapping[str, Any], today: date) -> Filters:
        """From query parameters (a QueryDict or a dict): `period` (4w,
        quarter, 12m) or `since` and `until` (YYYY-MM-DD), `severity`,
        `type`, `service` (a name), `team` (a slug). An unknown value is an
        InvalidInput naming its parameter."""
        get = _getter(params)
        since, until = _date(get("since"), "since"), _date(get("until"), "until")
        if since or until:
            period = custom_period(since or (until or today) - timedelta(weeks=13), until or today)
        else:
            key = get("period") or DEFAULT_PERIOD
            if key not in PERIODS:
                raise InvalidInput(
                    _("Unknown period %(value)s: use one of %(choices)s.")
                    % {"value": key, "choices": ", ".join(PERIODS)},
                    field="period",
                )
            period = period_for(key, today)
        return cls(
            period=period,
            severities=_severities(get("severity")),
            types=_types(get("type")),
            service=get("service"),
            team=_team(get("team")),
        )

    def query(self) -> dict[str, str]:
        """The filters as query parameters, to keep them in links and exports."""
        params: dict[str, str] = {}
        if self.period.key == "custom":
            params["since"] = self.period.first_day.isoformat()
            params["until"] = self.period.last_day.isoformat()
        elif self.period.key != DEFAULT_PERIOD:
            params["period"] = self.period.key
        if self.severities:
            params["severity"] = ",".join(str(level) for level in self.severities)
        if self.types:
            params["type"] = ",".join(self.types)
        if self.service:
            params["service"] = self.service
        if self.team:
            params["team"] = self.team
        return params


def _getter(params: Mapping[str, Any]) -> Any:
    def get(name: str) -> str:
        value = params.get(name)
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        return str(value or "").strip()

    return get


def _date(raw: str, name: str) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            _("%(value)s is not a date; use YYYY-MM-DD.") % {"value": raw}, field=name
        ) from None
    if not date(2000, 1, 1) <= day <= date(2999, 12, 31):
        raise InvalidInput(_("%(value)s is out of range.") % {"value": raw}, field=name)
    return day


def _severities(raw: str) -> tuple[int, ...]:
    levels = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        level = severity_level(part)
        if level is None:
            raise InvalidInput(
                _("Unknown severity %(value)s: use 1, 2, 3 or 4.") % {"value": part},
                field="severity",
            )
        levels.append(level)
    return tuple(sorted(set(levels)))


def _types(raw: str) -> tuple[str, ...]:
    keys = tuple(filter(None, (p.strip().lower() for p in raw.split(","))))
    known = incident_types()
    for key in keys:
        if key not in known:
            raise InvalidInput(
                _("Unknown incident type %(value)s: use one of %(choices)s.")
                % {"value": key, "choices": ", ".join(known)},
                field="type",
            )
    return keys


def _team(raw: str) -> str:
    if raw and not Team.objects.filter(slug=raw).exists():
        raise InvalidInput(_("Unknown team %(value)s.") % {"value": raw}, field="team")
    return raw


def scoped_incidents(user: AnyUser, filters: Filters) -> QuerySet[Incident]:
    """The incidents every figure counts: visible to `user`, declared in
    the period, matching the filters. Merged duplicates are left out: their
    survivor counts for them."""
    incidents = visible_incidents(user).filter(
        declared_at__gte=filters.period.start,
        declared_at__lt=filters.period.end,
        merged_into__isnull=True,
    )
    if filters.severities:
        incidents = incidents.filter(severity__in=filters.severities)
    if filters.types:
        incidents = incidents.filter(type__in=filters.types)
    # Through IN (subquery), not a join: an incident with two matching
    # services must still count once.
    if filters.service:
        incidents = incidents.filter(
            pk__in=Incident.objects.filter(services__name__iexact=filters.service).values("pk")
        )
    if filters.team:
        incidents = incidents.filter(
            pk__in=Incident.objects.filter(services__teams__slug=filters.team).values("pk")
        )
    return incidents


# --- incidents per week ------------------------------------------------------

# Weekly counts by one dimension: {dimension value: [count per week]}.
Weekly = dict[str, list[int]]

NO_TRIGGER = ""  # declared by a person, not opened by a trigger policy
NO_SERVICE = ""


# The dimensions counted from the incident row itself, in one GROUP BY.
ROW_DIMENSIONS = {"severity": "severity", "type": "type", "detection": "detection_source"}


def weekly_by_dimension(incidents: QuerySet[Incident], period: Period) -> dict[str, Weekly]:
    """Incidents per week by each dimension: severity, type, detection
    source and service, and trigger. The first three come from one GROUP BY
    over (week, severity, type, detection source), folded here: a few
    hundred rows instead of three scans."""
    rows = (
        incidents.order_by()
        .annotate(week=WeekIndex("declared_at", Value(period.start)))
        .values_list("week", *ROW_DIMENSIONS.values())
        .annotate(count=Count("id"))
    )
    found: dict[str, Weekly] = {name: {} for name in ROW_DIMENSIONS}
    totals = [0] * period.weeks
    for week, *keys, count in rows:
        if week is None or not 0 <= int(week) < period.weeks:
            continue
        totals[int(week)] += count
        for name, key in zip(ROW_DIMENSIONS, keys, strict=True):
            series = found[name].setdefault("" if key is None else str(key), [0] * period.weeks)
            series[int(week)] += count
    found["service"] = _weekly_by_service(incidents, period)
    found["trigger"] = _weekly_by_trigger(incidents, period, totals)
    return found


def _weekly_by_service(incidents: QuerySet[Incident], period: Period) -> Weekly:
    """By service, an incident with two services counts once for each (so
    the bars can add up to more than the number of incidents); one without
    a service counts under NO_SERVICE."""
    rows = (
        incidents.order_by()
        .annotate(week=WeekIndex("declared_at", Value(period.start)))
        .values_list("week", "services__name")
        .annotate(count=Count("id"))
    )
    return _fold(rows, period.weeks)


def _fold(rows: Iterable[tuple[Any, Any, int]], weeks: int) -> Weekly:
    counts: Weekly = {}
    for week, key, count in rows:
        if week is None or not 0 <= int(week) < weeks:
            continue
        series = counts.setdefault("" if key is None else str(key), [0] * weeks)
        series[int(week)] += count
    return counts


def _weekly_by_trigger(incidents: QuerySet[Incident], period: Period, totals: list[int]) -> Weekly:
    """Which trigger policy opened each incident: a firing that declared it,
    or an accepted "declare" proposal that a firing made. An incident no
    trigger opened counts under NO_TRIGGER (declared by a person): `totals`
    (incidents per week) less the others."""
    ids = incidents.values("pk")
    declared = (
        PolicyFiring.objects.filter(action=Action.DECLARED, incident__in=ids)
        .order_by()
        .annotate(week=WeekIndex("incident__declared_at", Value(period.start)))
        .values_list("week", "trigger")
        .annotate(count=Count("incident", distinct=True))
    )
    accepted = (
        Proposal.objects.filter(
            kind=ProposalKind.DECLARE, status=ProposalStatus.ACCEPTED, incident__in=ids
        )
        .exclude(incident__policy_firings__action=Action.DECLARED)
        .order_by()
        .annotate(week=WeekIndex("incident__declared_at", Value(period.start)))
        .values_list("week", "firing__trigger")
        .annotate(count=Count("incident", distinct=True))
    )
    counts = _fold([*declared, *accepted], period.weeks)
    by_people = list(totals)
    for series in counts.values():
        for week, count in enumerate(series):
            by_people[week] -= count
    counts[NO_TRIGGER] = [max(count, 0) for count in by_people]
    return counts


# --- durations ---------------------------------------------------------------

# (metric, start field, end field). Detection runs from the impact's start;
# acknowledging from detection; mitigating and resolving from the impact's
# start. A missing start falls back to the next time known (see _start).
METRICS = ("detect", "acknowledge", "mitigate", "resolve")


def _start(metric: str) -> Any:
    if metric == "acknowledge":
        return Coalesce("detected_at", "declared_at")
    return Coalesce("impact_started_at", "detected_at", "declared_at")


_END = {
    "detect": "detected_at",
    "acknowledge": "acknowledged_at",
    "mitigate": "mitigated_at",
    "resolve": "resolved_at",
}

# {metric: {(severity, quarter): Box}}; quarter ALL for the whole period.
ALL = -1
Durations = dict[str, dict[tuple[int, int], Box]]


def durations(incidents: QuerySet[Incident]) -> Durations:
    """Each metric's distribution in hours per severity and quarter (of the
    declaration), and per severity over the whole period (quarter ALL), in
    one pass over the incidents. Incidents without the end time (not yet
    detected, mitigated...) are left out of that metric, as are negative
    durations (times entered out of order).

    The database gives one row of six numbers per incident (no datetime
    reaches Python); the percentiles are taken here, on both databases
    (charts.percentile interpolates as PostgreSQL's percentile_cont does).
    percentile_cont took twice as long at 100,000 incidents: it sorts each
    group again for every measure, and the whole period is a second grouping."""
    names = [f"{metric}_raw" for metric in METRICS]
    rows = (
        incidents.order_by()
        .annotate(
            quarter=QuarterIndex("declared_at"),
            **{f"{metric}_raw": SecondsBetween(_start(metric), _END[metric]) for metric in METRICS},
        )
        .values_list("severity", "quarter", *names)
    )
    values: dict[str, dict[tuple[int, int], list[float]]] = {m: defaultdict(list) for m in METRICS}
    for severity, quarter, *seconds in rows:
        for metric, value in zip(METRICS, seconds, strict=True):
            if value is not None and value >= 0:
                values[metric][(severity, quarter)].append(value / 3600)
    result: Durations = {}
    for metric, by_key in values.items():
        overall: dict[tuple[int, int], list[float]] = defaultdict(list)
        for (severity, _quarter), hours in by_key.items():
            overall[(severity, ALL)].extend(hours)
        result[metric] = {
            key: box_from_values(f"{key[0]}-{key[1]}", "", hours)
            for key, hours in (*by_key.items(), *overall.items())
        }
    return result


# --- follow-through: postmortems and action items -----------------------------


@dataclass(frozen=True)
class OnTime:
    """Counts per quarter (of the due date): done by the due date, done
    after it, still open and overdue, still open and not yet due, and
    without a due date (these never count as late)."""

    on_time: dict[int, int] = field(default_factory=dict)
    late: dict[int, int] = field(default_factory=dict)
    overdue: dict[int, int] = field(default_factory=dict)
    pending: dict[int, int] = field(default_factory=dict)
    undated: int = 0

    def total(self, name: str) -> int:
        counts: dict[int, int] = getattr(self, name)
        return sum(counts.values())


def postmortems_on_time(incidents: QuerySet[Incident], today: date) -> OnTime:
    """Postmortems of the incidents: done (approved or published) by the
    due date, in the reader's time zone, or not."""
    done_at = Coalesce("approved_at", "published_at")
    items = Postmortem.objects.filter(incident__in=incidents.values("pk")).annotate(done_at=done_at)
    result, _sums = _on_time(
        items,
        done=Q(done_at__isnull=False),
        done_on_time=Q(done_at__date__lte=F("due_on")),
        open_=Q(status__in=postmortems.OPEN_STATUSES),
        today=today,
    )
    return result


def scoped_action_items(incidents: QuerySet[Incident]) -> QuerySet[actions.ActionItem]:
    """Action items of the incidents or of their postmortems. Two IN
    (subquery) tests on the item's own columns: an OR across joins would
    make the database scan every item."""
    ids = incidents.values("pk")
    postmortem_ids = Postmortem.objects.filter(incident__in=ids).values("pk")
    return actions.ActionItem.objects.filter(
        Q(incident_id__in=ids) | Q(postmortem_id__in=postmortem_ids)
    )


def actions_on_time(
    incidents: QuerySet[Incident], today: date, now: datetime
) -> tuple[OnTime, dict[str, int]]:
    """Action items of the incidents (or of their postmortems): done by the
    due date or not, and the open ones by age (see AGE_BUCKETS), in one
    query. Items closed as "won't do" are left out: they were decided, not
    done."""
    items = scoped_action_items(incidents).exclude(status=actions.Status.WONT_DO)
    open_ = Q(status__in=actions.OPEN_STATUSES)
    return _on_time(
        items,
        done=Q(status=actions.Status.DONE),
        done_on_time=Q(done_at__date__lte=F("due_on")),
        open_=open_,
        today=today,
        extra=_age_counts(open_, now),
    )


def _on_time(
    items: QuerySet[Any],
    *,
    done: Q,
    done_on_time: Q,
    open_: Q,
    today: date,
    extra: dict[str, Count] | None = None,
) -> tuple[OnTime, dict[str, int]]:
    """Counts per quarter of the due date (items without one fall in the
    NULL quarter: `undated`), and the `extra` counts summed over quarters."""
    rows = (
        items.order_by()
        .annotate(quarter=QuarterIndex("due_on"))
        .values("quarter")
        .annotate(
            total=Count("pk"),
            on_time=Count("pk", filter=done & done_on_time),
            late=Count("pk", filter=done & ~done_on_time),
            overdue=Count("pk", filter=open_ & Q(due_on__lt=today)),
            pending=Count("pk", filter=open_ & Q(due_on__gte=today)),
            **(extra or {}),
        )
    )
    result = OnTime()
    sums = dict.fromkeys(extra or {}, 0)
    undated = 0
    for row in rows:
        for name in sums:
            sums[name] += row[name]
        if row["quarter"] is None:
            undated += row["total"]
            continue
        for name in ("on_time", "late", "overdue", "pending"):
            if row[name]:
                getattr(result, name)[row["quarter"]] = row[name]
    return replace(result, undated=undated), sums


# Ages of open action items: (key, lower bound in days).
AGE_BUCKETS = (("week", 0), ("month", 7), ("quarter", 30), ("half", 91), ("older", 182))


def _age_counts(open_: Q, now: datetime) -> dict[str, Count]:
    """Open items by age (since created): under a week, a week to a month,
    one to three months, three to six, more than six."""
    bounds = [now - timedelta(days=days) for _key, days in AGE_BUCKETS] + [None]
    counts = {}
    for index, (key, _days) in enumerate(AGE_BUCKETS):
        # Created at or before the lower bound, after the upper one.
        condition = open_ & Q(created_at__lte=bounds[index])
        older = bounds[index + 1]
        if older is not None:
            condition &= Q(created_at__gt=older)
        counts[f"age_{key}"] = Count("pk", filter=condition)
    return counts


# --- near misses -----------------------------------------------------------


def near_misses_per_month(period: Period) -> dict[date, int]:
    """Near misses reported each month of the period. Reports are not
    incidents: the incident filters do not apply to them."""
    counts: dict[date, int] = {}
    for row in counts_per_kind_and_month(since=period.start, until=period.end):
        if row.kind == ReportKind.NEAR_MISS:
            counts[row.month] = counts.get(row.month, 0) + row.count
    return counts


# --- time invested -----------------------------------------------------------

NO_TEAM = ""
# Postmortem work is estimated from the moments it leaves a trace (a section
# saved, a comment, a review decision): one person's traces on one
# postmortem less than SESSION_GAP apart make one session, which lasts from
# its first trace to its last plus SESSION_LEAD (the work before the first
# save). docs/insights.md says the same.
SESSION_GAP = timedelta(minutes=30)
SESSION_LEAD = timedelta(minutes=15)
WRITING_ACTIONS = ("postmortem.section_saved",)
REVIEW_ACTIONS = ("postmortem.reviewed",)


@dataclass
class TimeInvested:
    """Person-hours per (team slug, quarter), in three kinds of work."""

    roles: dict[tuple[str, int], float] = field(default_factory=dict)
    writing: dict[tuple[str, int], float] = field(default_factory=dict)
    reviewing: dict[tuple[str, int], float] = field(default_factory=dict)

    def teams(self) -> list[str]:
        keys = {team for table in (self.roles, self.writing, self.reviewing) for team, _q in table}
        return sorted(keys)

    def quarters(self) -> list[int]:
        keys = {q for table in (self.roles, self.writing, self.reviewing) for _t, q in table}
        return sorted(keys)


def incident_teams(incidents: QuerySet[Incident]) -> dict[int, set[str]]:
    """The teams (slugs) of each incident: those owning one of its services.
    An incident of two teams counts for both: both teams spent the time."""
    pairs = (
        Incident.services.through.objects.filter(
            incident__in=incidents.values("pk"), service__teams__isnull=False
        )
        .values_list("incident_id", "service__teams__slug")
        .distinct()
    )
    teams: dict[int, set[str]] = defaultdict(set)
    for incident, slug in pairs:
        teams[incident].add(slug)
    return teams


def time_invested(incidents: QuerySet[Incident], now: datetime) -> TimeInvested:
    """Person-hours per team and quarter. Summed per incident (roles) or per
    postmortem (writing, reviewing) in the database or from a few numbers
    per trace, then given to the incident's teams here: a join to teams in
    SQL would count an incident with two services of one team twice."""
    teams = incident_teams(incidents)
    result = TimeInvested()

    def add(table: dict[tuple[str, int], float], incident: int, quarter: int, hours: float) -> None:
        for slug in teams.get(incident) or {NO_TEAM}:
            table[(slug, quarter)] = table.get((slug, quarter), 0.0) + hours

    for incident, quarter, hours in _role_hours(incidents, now):
        add(result.roles, incident, quarter, hours)
    writing, reviewing = _postmortem_hours(incidents)
    for incident, quarter, hours in writing:
        add(result.writing, incident, quarter, hours)
    for incident, quarter, hours in reviewing:
        add(result.reviewing, incident, quarter, hours)
    return result


# (incident id, quarter, hours)
Hours = list[tuple[int, int, float]]


def _role_hours(incidents: QuerySet[Incident], now: datetime) -> Hours:
    """Hours in incident roles per incident, by quarter of the role's start.
    A role still held counts up to the incident's resolution, or up to now
    if the incident is still open."""
    until = Least(Coalesce("ended_at", "incident__resolved_at", Value(now)), Value(now))
    rows = (
        RoleAssignment.objects.filter(incident__in=incidents.values("pk"))
        .order_by()
        .annotate(quarter=QuarterIndex("started_at"))
        .values_list("incident_id", "quarter")
        .annotate(seconds=Sum(SecondsBetween("started_at", until)))
    )
    return [(incident, quarter, max(seconds or 0, 0) / 3600) for incident, quarter, seconds in rows]


def _postmortem_hours(incidents: QuerySet[Incident]) -> tuple[Hours, Hours]:
    """Hours writing and hours reviewing the incidents' postmortems, per
    incident, by quarter of each session's start (see SESSION_GAP)."""
    of_incidents = Postmortem.objects.filter(incident__in=incidents.values("pk")).order_by()
    incident_of = {
        str(pk): incident for pk, incident in of_incidents.values_list("pk", "incident_id")
    }
    if not incident_of:
        return [], []
    epoch = Value(datetime(2000, 1, 1, tzinfo=UTC))
    audit = (
        AuditRecord.objects.filter(
            object_type=Postmortem._meta.label_lower,
            object_id__in=of_incidents.values_list(_text_pk(), flat=True),
            actor__isnull=False,
            action__in=(*WRITING_ACTIONS, *REVIEW_ACTIONS),
        )
        .order_by()
        .annotate(seconds=SecondsBetween(epoch, "at"), quarter=QuarterIndex("at"))
        .values_list("action", "actor_id", "object_id", "seconds", "quarter")
    )
    writing: list[tuple[Any, Any, float, int]] = []
    reviews: list[tuple[Any, Any, float, int]] = []
    for action, actor, postmortem, seconds, quarter in audit:
        (writing if action in WRITING_ACTIONS else reviews).append(
            (actor, postmortem, seconds, quarter)
        )
    comments = (
        Comment.objects.filter(postmortem__in=of_incidents.values("pk"), author__isnull=False)
        .order_by()
        .annotate(seconds=SecondsBetween(epoch, "created_at"), quarter=QuarterIndex("created_at"))
        .values_list("author_id", "postmortem_id", "seconds", "quarter")
    )
    reviews.extend(comments)
    return _sessions(writing, incident_of), _sessions(reviews, incident_of)


def _text_pk() -> Any:
    """Postmortem ids as the text AuditRecord.object_id holds."""
    return Cast("pk", CharField())


def _sessions(traces: Iterable[tuple[Any, Any, float, int]], incident_of: dict[str, int]) -> Hours:
    """Hours per incident and quarter from (person, postmortem, seconds,
    quarter) traces."""
    by_work: dict[tuple[Any, str], list[tuple[float, int]]] = defaultdict(list)
    for person, postmortem, seconds, quarter in traces:
        by_work[(person, str(postmortem))].append((seconds, quarter))
    hours: dict[tuple[int, int], float] = defaultdict(float)
    gap, lead = SESSION_GAP.total_seconds(), SESSION_LEAD.total_seconds()
    for (_person, postmortem), moments in by_work.items():
        incident = incident_of[postmortem]
        moments.sort()
        start, last, quarter = moments[0][0], moments[0][0], moments[0][1]
        for seconds, next_quarter in moments[1:]:
            if seconds - last > gap:
                hours[(incident, quarter)] += (last - start + lead) / 3600
                start, quarter = seconds, next_quarter
            last = seconds
        hours[(incident, quarter)] += (last - start + lead) / 3600
    return [(incident, quarter, value) for (incident, quarter), value in hours.items()]

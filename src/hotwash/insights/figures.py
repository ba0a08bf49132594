"""The insights charts for one reader and one set of filters: computed,
drawn and kept in the database (FiguresSnapshot), so the page does not
compute them again for every view.

Computing them reads every incident of the period (at 100,000 incidents,
thousands of rows per query) and drawing them takes pygal a few to tens of
milliseconds a chart: about half a second in all. Managers reload the page
and several look at the same figures; meanwhile incidents keep changing.
So:

- Figures are kept under a key that says whose they are and which filters
  (all admins see the same incidents; anyone else sees their own set), the
  language, the time zone and the day, with the versions of what they were
  computed from: the data (the highest ids and latest changes of the rows
  insights read: any write through Hotwash's services adds an audit record)
  and who may see what (`_privacy_version`).
- Figures of the current data, less than FRESH old, are shown as they are
  (the figures that run "up to now", a role still held or the age of open
  action items, are at most that old).
- Older ones, or ones of older data, are computed again. When computing them
  took longer than settings.INSIGHTS_BACKGROUND_AFTER_MS, the worker does it
  (`refresh_figures`) and the page shows the previous figures with the time
  they were computed, if they are no older than
  settings.INSIGHTS_STALE_SECONDS; otherwise (cheap figures, or too old) the
  page computes them.
- The worker also keeps current the expensive figures someone looked at in
  the last week (`keep_figures_current`, every minute): after a change, a
  quiet hour or midnight, the next view finds them computed.
- Figures computed before a change of who may see which incident (an
  incident made private or public, the reader added to or removed from a
  private one) are never shown: a private incident counts only for its
  readers, even for a minute.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import zoneinfo
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from hotwash.accounts.permissions import is_admin
from hotwash.actions.models import ActionItem
from hotwash.core.errors import InvalidInput, PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident, Participant, RoleAssignment
from hotwash.insights import present, queries
from hotwash.insights.access import can_view_insights
from hotwash.insights.charts import Box, Chart, ChartKind, Series, render_svg
from hotwash.insights.models import FiguresSnapshot
from hotwash.postmortems.models import Comment, Postmortem
from hotwash.reports.models import Report
from hotwash.reports.queries import can_review_reports

AnyUser = User | AnonymousUser

# Figures of the current data this young are shown as they are: the
# figures that run "up to now" (a role still held, the age of open action
# items) are at most this old, a drift nobody reading person-hours per
# quarter would notice.
FRESH = timedelta(hours=1)
# A refresh asked for and not done within this time (a worker stopped, a
# failed task) is asked for again.
REFRESH_RETRY = timedelta(minutes=2)
# The worker keeps current the figures someone looked at in this time
# (keep_figures_current), computing them again a little before FRESH runs out:
# for each person, those of the KEPT_CURRENT_PER_READER sets of filters they
# looked at last, among those of a named period (the last 4 weeks, 13 weeks,
# 12 months: what people come back to; dates picked by hand are explorations).
WATCHED = timedelta(days=7)
REFRESH_AFTER = timedelta(minutes=50)
KEPT_CURRENT_PER_READER = 5
# Figures of a named period, not of dates picked by hand (since, until).
NAMED_PERIOD = ~Q(filters__has_key="since") & ~Q(filters__has_key="until")
# How often a view writes down that the figures were looked at.
VIEWED_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Figures:
    """The page's sections, each chart's drawing (by chart name), when they
    were computed, and whether newer data exists than they show (a refresh
    is on its way)."""

    sections: list[present.Section]
    drawings: dict[str, str]
    computed_at: datetime
    stale: bool = False

    @property
    def charts(self) -> list[Chart]:
        return [chart for section in self.sections for chart in section.charts]


@dataclass(frozen=True)
class Asked:
    """What a reader asks for: whose figures, which filters, on which day,
    in which language and time zone."""

    reader: User
    filters: queries.Filters
    today: date
    language: str
    zone: str

    @classmethod
    def parse(
        cls, reader: User, filters: dict[str, str], today: date, language: str, zone: str
    ) -> Asked:
        """From the filters as query parameters (InvalidInput if they no
        longer hold: a team deleted since, say)."""
        return cls(reader, queries.Filters.parse(filters, today), today, language, zone)

    @functools.cached_property
    def key(self) -> str:
        """Whose figures and which: never the data they count."""
        return _digest(
            {
                "reader": "admin" if is_admin(self.reader) else f"user-{self.reader.id}",
                # The near-miss chart links to the reports only for their reviewers.
                "reviews_reports": can_review_reports(self.reader),
                "filters": self.filters.query(),
                "first_day": self.filters.period.first_day.isoformat(),
                "weeks": self.filters.period.weeks,
                "today": self.today.isoformat(),
                "language": self.language,
                "zone": self.zone,
            }
        )


def figures(user: AnyUser, context: present.Context) -> Figures:
    """The figures for `user` and `context`: kept ones if they still hold
    (see the module's docstring), else computed now."""
    if not isinstance(user, User):  # the views let only signed-in readers in
        raise PermissionDenied(_("Sign in to view insights."))
    asked = Asked(
        user,
        context.filters,
        context.today,
        translation.get_language(),
        timezone.get_current_timezone_name(),
    )
    key = asked.key
    data, privacy = _data_version(), _privacy_version(user)
    now = timezone.now()
    snapshot = FiguresSnapshot.objects.filter(key=key, privacy_version=privacy).first()
    if snapshot is not None:
        _mark_viewed(snapshot, user, now)
        if _is_current(snapshot, data, now, FRESH):
            return _loaded(snapshot, stale=False)
        if _may_show_while_refreshing(snapshot, now):
            _request_refresh(snapshot, asked, now)
            return _loaded(snapshot, stale=True)
    return _compute(asked, context, data, privacy, viewed_at=now)


def _is_current(snapshot: FiguresSnapshot, data: str, now: datetime, within: timedelta) -> bool:
    return snapshot.data_version == data and timedelta(0) <= now - snapshot.computed_at < within


def _may_show_while_refreshing(snapshot: FiguresSnapshot, now: datetime) -> bool:
    # Strictly younger than the window: a window of 0 never shows stale
    # figures, even when no time passed since they were computed.
    return _expensive(snapshot) and (
        timedelta(0)
        <= now - snapshot.computed_at
        < timedelta(seconds=settings.INSIGHTS_STALE_SECONDS)
    )


def _expensive(snapshot: FiguresSnapshot) -> bool:
    return snapshot.compute_ms > settings.INSIGHTS_BACKGROUND_AFTER_MS


def _mark_viewed(snapshot: FiguresSnapshot, user: User, now: datetime) -> None:
    """Write down that the figures were looked at (at most once in
    VIEWED_EVERY), and by whom: the worker keeps them current for a while."""
    if snapshot.viewed_at is None or now - snapshot.viewed_at >= VIEWED_EVERY:
        FiguresSnapshot.objects.filter(pk=snapshot.pk).update(viewed_at=now, viewer=user)


def _compute(
    asked: Asked,
    context: present.Context,
    data: str,
    privacy: str,
    *,
    viewed_at: datetime | None,
) -> Figures:
    """Compute, draw and keep the figures. `viewed_at`: now for a view,
    None for the worker (which leaves the time they were last looked at)."""
    user = asked.reader
    started = time.perf_counter()
    sections = present.build_sections(context, queries.scoped_incidents(user, context.filters))
    drawings = {chart.name: str(render_svg(chart)) for s in sections for chart in s.charts}
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    computed_at = timezone.now()
    fields: dict[str, Any] = {
        "reader": None if is_admin(user) else user,
        "filters": asked.filters.query(),
        "language": asked.language,
        "zone": asked.zone,
        "data_version": data,
        "privacy_version": privacy,
        "computed_at": computed_at,
        "compute_ms": elapsed_ms,
        "refresh_requested_at": None,
        "figures": _dump(sections, drawings),
    }
    if viewed_at is not None:
        fields.update(viewed_at=viewed_at, viewer=user)
    FiguresSnapshot.objects.update_or_create(key=asked.key, defaults=fields)
    return Figures(sections, drawings, computed_at)


def _request_refresh(snapshot: FiguresSnapshot, asked: Asked, now: datetime) -> bool:
    """Queue one refresh of `asked`, whose figures `snapshot` holds (or held
    on an earlier day): the UPDATE lets only the first of several readers
    asking at once queue it. True if this call queued it."""
    claimed = (
        FiguresSnapshot.objects.filter(pk=snapshot.pk)
        .filter(
            Q(refresh_requested_at__isnull=True) | Q(refresh_requested_at__lt=now - REFRESH_RETRY)
        )
        .update(refresh_requested_at=now)
    )
    if claimed:
        refresh_figures.enqueue(
            asked.reader.id,
            asked.filters.query(),
            asked.today.isoformat(),
            asked.language,
            asked.zone,
        )
    return bool(claimed)


@task()
def refresh_figures(
    user_id: int, filters: dict[str, str], today: str, language: str, zone: str
) -> None:
    """Compute the figures a reader asked for (or looked at lately, see
    keep_figures_current), as that reader, in their language and time zone
    (the worker)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    with translation.override(language), timezone.override(zone):
        try:
            asked = Asked.parse(user, filters, date.fromisoformat(today), language, zone)
        except InvalidInput:  # a team deleted since, say: nobody can ask for these now
            return
        context = present.Context(
            filters=asked.filters,
            today=asked.today,
            now=timezone.now(),
            reviews_reports=can_review_reports(user),
        )
        _compute(asked, context, _data_version(), _privacy_version(user), viewed_at=None)


def keep_figures_current(*, now: datetime) -> int:
    """Queue a refresh of the expensive figures someone looked at in the
    last WATCHED days that no longer hold, or soon will not: of older data,
    older than REFRESH_AFTER, or of an earlier day (the reader's day, in
    their time zone). So the page a manager opens in the morning or after
    a quiet hour shows current figures at once. Returns how many it queued."""
    watched = list(
        FiguresSnapshot.objects.filter(
            viewed_at__gte=now - WATCHED,
            viewer__is_active=True,
            compute_ms__gt=settings.INSIGHTS_BACKGROUND_AFTER_MS,  # cheap ones: on the page
        )
        .filter(NAMED_PERIOD)
        .defer("figures")  # the versions and what was asked are enough here
        .select_related("viewer")
        .order_by("-viewed_at", "-pk")
    )
    if not watched:
        return 0
    data = _data_version()
    privacy: dict[int, str] = {}
    done: set[str] = set()
    kept_current: dict[int, int] = {}
    queued = 0
    for snapshot in watched:
        # (None only for the type checker: the query asks for an active viewer.)
        if snapshot.viewer is None or not can_view_insights(snapshot.viewer):
            continue  # the permission was taken back
        try:
            asked = Asked.parse(
                snapshot.viewer,
                snapshot.filters,
                now.astimezone(zoneinfo.ZoneInfo(snapshot.zone)).date(),
                snapshot.language,
                snapshot.zone,
            )
        except InvalidInput:
            continue
        key = asked.key
        if key in done or kept_current.get(asked.reader.id, 0) >= KEPT_CURRENT_PER_READER:
            continue
        done.add(key)
        kept_current[asked.reader.id] = kept_current.get(asked.reader.id, 0) + 1
        current = (
            snapshot
            if snapshot.key == key
            else FiguresSnapshot.objects.filter(key=key).defer("figures").first()
        )
        if current is not None:
            if asked.reader.id not in privacy:
                privacy[asked.reader.id] = _privacy_version(asked.reader)
            version = privacy[asked.reader.id]
            if current.privacy_version == version and _is_current(
                current, data, now, REFRESH_AFTER
            ):
                continue
        queued += _request_refresh(current or snapshot, asked, now)
    return queued


# --- keys and versions -------------------------------------------------------


def _digest(parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _data_version() -> str:
    """Highest ids and latest changes of what insights read: each a MAX over
    a primary key or an indexed column, so cheap at any size."""
    incidents = Incident.objects.aggregate(id=Max("pk"), changed=Max("updated_at"))
    return _digest(
        [
            incidents["id"],
            incidents["changed"],
            AuditRecord.objects.aggregate(id=Max("pk"))["id"],
            RoleAssignment.objects.aggregate(id=Max("pk"))["id"],
            Postmortem.objects.aggregate(id=Max("pk"))["id"],
            Comment.objects.aggregate(id=Max("pk"))["id"],
            ActionItem.objects.aggregate(id=Max("pk"))["id"],
            Report.objects.aggregate(id=Max("pk"))["id"],
        ]
    )


def _privacy_version(user: User) -> str:
    """What decides which incidents `user` sees. Admins see them all. For
    anyone else: the set of private incidents (how many, the sum of their
    ids and of their squares: an incident made private or public changes
    them) and the private incidents they take part in."""
    if is_admin(user):
        return "all"
    private = Incident.objects.filter(private=True).aggregate(
        count=Count("pk"), ids=Sum("pk"), squares=Sum(_square("pk"))
    )
    mine = Participant.objects.filter(user_id=user.id, incident__private=True).aggregate(
        count=Count("pk"), ids=Sum("incident_id"), squares=Sum(_square("incident_id"))
    )
    return _digest([user.id, *private.values(), *mine.values()])


def _square(name: str) -> Any:
    return F(name) * F(name)


# --- storing figures -------------------------------------------------------------


def _dump(sections: list[present.Section], drawings: dict[str, str]) -> dict[str, Any]:
    return {
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "charts": [
                    {**_chart_data(chart), "drawing": drawings.get(chart.name, "")}
                    for chart in section.charts
                ],
            }
            for section in sections
        ]
    }


def _chart_data(chart: Chart) -> dict[str, Any]:
    data = asdict(chart)
    data["kind"] = chart.kind.value
    return data


def _loaded(snapshot: FiguresSnapshot, *, stale: bool) -> Figures:
    sections, drawings = [], {}
    for section in snapshot.figures["sections"]:
        charts = []
        for data in section["charts"]:
            chart = chart_from_data(data)
            drawings[chart.name] = data.get("drawing", "")
            charts.append(chart)
        sections.append(present.Section(section["key"], section["title"], charts))
    return Figures(sections, drawings, snapshot.computed_at, stale=stale)


def chart_from_data(data: dict[str, Any]) -> Chart:
    """A chart from `_chart_data`'s dictionary (as JSON gives it back)."""
    return Chart(
        name=data["name"],
        title=data["title"],
        summary=data["summary"],
        kind=ChartKind(data["kind"]),
        category_title=data["category_title"],
        categories=tuple(data["categories"]),
        series=tuple(
            Series(s["key"], s["label"], tuple(s["values"]), tuple(s["hrefs"]))
            for s in data["series"]
        ),
        boxes=tuple(Box(**box) for box in data["boxes"]),
        unit=data["unit"],
        digits=data["digits"],
        empty_text=data["empty_text"],
    )


KEEP_FIGURES = timedelta(days=2)


def forget_old_figures(*, now: datetime) -> int:
    """Delete figures computed more than KEEP_FIGURES ago (their day has
    passed: the key holds the day, so no page asks for them again), except
    those of a named period someone looked at in the last WATCHED days: they
    tell the worker which figures to keep current."""
    old = FiguresSnapshot.objects.filter(computed_at__lt=now - KEEP_FIGURES)
    watched = Q(viewed_at__gte=now - WATCHED) & NAMED_PERIOD
    deleted: int = old.exclude(watched).delete()[0]
    return deleted

"""The insights page's charts: the figures from queries, worded in the
reader's language, with a summary sentence and links to the lists behind
every number. The page, the CSV and JSON exports and the API all take their
charts from `build_charts`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.incidents.models import DetectionSource, Incident, Severity
from hotwash.incidents.queries import NONE
from hotwash.insights import queries
from hotwash.insights.charts import Box, Chart, ChartKind, Series
from hotwash.insights.queries import Filters, OnTime, Period
from hotwash.policies import incident_type
from hotwash.teams.models import Team
from hotwash.triggers.models import Trigger

# The services drawn one by one; the rest share one series.
TOP_SERVICES = 7
# The series of the services past TOP_SERVICES.
OTHER = "\x00other"
# Machine names (CSV, JSON) of the series that are not a value of their own.
SERIES_KEYS = {"": "none", OTHER: "other"}


@dataclass(frozen=True)
class Context:
    filters: Filters
    today: date
    now: datetime
    # Whether the reader may open the list of near-miss reports (reviewers).
    reviews_reports: bool = False

    @property
    def period(self) -> Period:
        return self.filters.period


def incident_list_url(
    filters: Filters, days: tuple[date, date], extra: dict[str, str] | None = None
) -> str:
    """The incident list for `days` (first and last, both included) with
    the page's filters and `extra` ones (the list's own parameter names),
    without the merged duplicates, which insights does not count (their
    survivor counts for them)."""
    first, last = days
    params: dict[str, str] = {
        "since": first.isoformat(),
        "until": last.isoformat(),
        "merged": "no",
    }
    if filters.severities:
        params["severity"] = ",".join(str(level) for level in filters.severities)
    if filters.types:
        params["type"] = ",".join(filters.types)
    if filters.service:
        params["service"] = filters.service
    if filters.team:
        params["team"] = filters.team
    params.update(extra or {})
    return f"{reverse('incidents:list')}?{urlencode(params)}"


def _percent(part: float, whole: float) -> int:
    return round(100 * part / whole) if whole else 0


# --- incidents per week ------------------------------------------------------


def _week_labels(period: Period) -> tuple[str, ...]:
    return tuple(period.week_days(index)[0].isoformat() for index in range(period.weeks))


def _weekly_chart(
    context: Context,
    *,
    name: str,
    title: str,
    counts: queries.Weekly,
    label: Callable[[str], str],
    link: Callable[[str], dict[str, str] | None],
    order: list[str],
    summary: Callable[[int, list[tuple[str, int]]], str],
) -> Chart:
    period, filters = context.period, context.filters
    series = []
    for key in order:
        values = counts.get(key, [0] * period.weeks)
        # None: no list shows exactly these incidents (the folded "other
        # services"), so the number is not a link rather than a wrong one.
        narrowing = link(key)
        hrefs = tuple(
            incident_list_url(filters, period.week_days(week), narrowing)
            if count and narrowing is not None
            else ""
            for week, count in enumerate(values)
        )
        series.append(Series(SERIES_KEYS.get(key, key), label(key), tuple(values), hrefs))
    totals = [(key, sum(counts.get(key, []))) for key in order]
    total = sum(count for _key, count in totals)
    return Chart(
        name=name,
        title=title,
        summary=summary(total, totals),
        kind=ChartKind.STACKED,
        category_title=_("Week of"),
        categories=_week_labels(period),
        series=tuple(series),
        empty_text=_("No incidents in this period with these filters."),
    )


def _largest_summary(
    label: Callable[[str], str],
) -> Callable[[int, list[tuple[str, int]]], str]:
    def summary(total: int, totals: list[tuple[str, int]]) -> str:
        if not total:
            return _("No incidents in this period.")
        key, count = max(totals, key=lambda item: item[1])
        return ngettext(
            "%(total)s incident in all; the most: %(label)s, %(count)s (%(percent)s%%).",
            "%(total)s incidents in all; the most: %(label)s, %(count)s (%(percent)s%%).",
            total,
        ) % {"total": total, "label": label(key), "count": count, "percent": _percent(count, total)}

    return summary


def severity_label(key: str) -> str:
    return str(Severity(int(key)).label) if key.isdigit() else key


def type_label(key: str) -> str:
    definition = incident_type(key)
    return definition.name.get() if definition else key


def detection_label(key: str) -> str:
    if not key:
        return _("Not recorded")
    return str(DetectionSource(key).label) if key in DetectionSource.values else key


def trigger_label(key: str) -> str:
    if not key:
        return _("Declared by a person")
    return str(Trigger(key).label) if key in Trigger.values else key


def service_label(key: str) -> str:
    if key == queries.NO_SERVICE:
        return _("No service")
    if key == OTHER:
        return _("Other services")
    return key


def _fold_services(counts: queries.Weekly, weeks: int) -> tuple[queries.Weekly, list[str]]:
    """The TOP_SERVICES busiest services, then the others as one series."""
    named = sorted(
        (key for key in counts if key != queries.NO_SERVICE), key=lambda k: (-sum(counts[k]), k)
    )
    shown, rest = named[:TOP_SERVICES], named[TOP_SERVICES:]
    folded = {key: counts[key] for key in shown}
    if rest:
        folded[OTHER] = [sum(counts[key][week] for key in rest) for week in range(weeks)]
    order = list(shown) + ([OTHER] if rest else [])
    if queries.NO_SERVICE in counts:
        folded[queries.NO_SERVICE] = counts[queries.NO_SERVICE]
        order.append(queries.NO_SERVICE)
    return folded, order


def weekly_charts(context: Context, incidents: QuerySet[Incident]) -> list[Chart]:
    period = context.period
    found = queries.weekly_by_dimension(incidents, period)
    by_severity, by_type = found["severity"], found["type"]
    by_service, services = _fold_services(found["service"], period.weeks)
    by_trigger, by_detection = found["trigger"], found["detection"]

    def service_link(key: str) -> dict[str, str] | None:
        if key == OTHER:
            return None
        # NONE: incidents without a service, in the list's words.
        return {"service": key or NONE}

    return [
        _weekly_chart(
            context,
            name="incidents-by-severity",
            title=_("Incidents per week by severity"),
            counts=by_severity,
            label=severity_label,
            link=lambda key: {"severity": key},
            order=[str(level) for level in Severity.values],
            summary=_largest_summary(severity_label),
        ),
        _weekly_chart(
            context,
            name="incidents-by-type",
            title=_("Incidents per week by type"),
            counts=by_type,
            label=type_label,
            link=lambda key: {"type": key},
            order=sorted(by_type, key=lambda k: (-sum(by_type[k]), k)),
            summary=_largest_summary(type_label),
        ),
        _weekly_chart(
            context,
            name="incidents-by-service",
            title=_("Incidents per week by service"),
            counts=by_service,
            label=service_label,
            link=service_link,
            order=services,
            summary=_service_summary,
        ),
        _weekly_chart(
            context,
            name="incidents-by-trigger",
            title=_("Incidents per week by trigger"),
            counts=by_trigger,
            label=trigger_label,
            # NONE: declared by a person, in the list's words.
            link=lambda key: {"trigger": key or NONE},
            order=sorted(by_trigger, key=lambda k: (k == "", -sum(by_trigger[k]), k)),
            summary=_trigger_summary,
        ),
        _weekly_chart(
            context,
            name="incidents-by-detection",
            title=_("Incidents per week by detection source"),
            counts=by_detection,
            label=detection_label,
            # NONE: detection not recorded.
            link=lambda key: {"detection": key or NONE},
            order=[key for key in (*DetectionSource.values, "") if key in by_detection],
            summary=_detection_summary,
        ),
    ]


def _service_summary(total: int, totals: list[tuple[str, int]]) -> str:
    if not total:
        return _("No incidents in this period.")
    key, count = max(totals, key=lambda item: item[1])
    return _(
        "The most incidents: %(label)s, %(count)s. An incident with two services counts for each."
    ) % {"label": service_label(key), "count": count}


def _trigger_summary(total: int, totals: list[tuple[str, int]]) -> str:
    if not total:
        return _("No incidents in this period.")
    by_people = dict(totals).get("", 0)
    return _(
        "%(triggered)s of %(total)s incidents (%(percent)s%%) were opened or proposed "
        "by a trigger policy; the others were declared by a person."
    ) % {
        "triggered": total - by_people,
        "total": total,
        "percent": _percent(total - by_people, total),
    }


def _detection_summary(total: int, totals: list[tuple[str, int]]) -> str:
    if not total:
        return _("No incidents in this period.")
    alerts = dict(totals).get(DetectionSource.ALERT, 0)
    return _(
        "How much the monitoring catches: %(alerts)s of %(total)s incidents (%(percent)s%%) "
        "were detected by an alert."
    ) % {"alerts": alerts, "total": total, "percent": _percent(alerts, total)}


# --- durations ---------------------------------------------------------------


def metric_title(metric: str) -> str:
    return {
        "detect": _("Time to detect"),
        "acknowledge": _("Time to acknowledge"),
        "mitigate": _("Time to mitigate"),
        "resolve": _("Time to resolve"),
    }[metric]


def duration_charts(context: Context, incidents: QuerySet[Incident]) -> list[Chart]:
    found = queries.durations(incidents)
    period = context.period
    quarters = period.quarters()
    charts = []
    for metric in queries.METRICS:
        boxes = []
        for level in Severity.values:
            for quarter in quarters:
                box = found[metric].get((level, quarter))
                if box is None:
                    continue
                label = str(Severity(level).label)
                if len(quarters) > 1:
                    label = f"{label} · {queries.quarter_label(quarter)}"
                first, last = _quarter_days(quarter, period)
                href = incident_list_url(context.filters, (first, last), {"severity": str(level)})
                boxes.append(
                    Box(
                        f"{level}-{queries.quarter_label(quarter)}",
                        label,
                        box.count,
                        box.p10,
                        box.q1,
                        box.median,
                        box.q3,
                        box.p90,
                        href=href,
                    )
                )
        charts.append(
            Chart(
                name=f"time-to-{metric}",
                title=metric_title(metric),
                summary=_duration_summary(found[metric]),
                kind=ChartKind.BOX,
                category_title=_("Severity and quarter"),
                boxes=tuple(boxes),
                unit=_("hours"),
                digits=1,
                empty_text=_("No incident in this period has both times recorded."),
            )
        )
    return charts


def _quarter_days(quarter: int, period: Period) -> tuple[date, date]:
    """The days of `quarter` within the period."""
    year, index = divmod(quarter, 4)
    first = date(year, index * 3 + 1, 1)
    after = date(year + (index == 3), (index * 3 + 3) % 12 + 1, 1)
    return max(first, period.first_day), min(after - timedelta(days=1), period.last_day)


def _duration_summary(boxes: dict[tuple[int, int], Box]) -> str:
    overall = {level: box for (level, quarter), box in boxes.items() if quarter == queries.ALL}
    if not overall:
        return _("No incident in this period has both times recorded.")
    parts = [
        ngettext(
            "%(severity)s: median %(median)s h, 90th percentile %(p90)s h (%(count)s incident)",
            "%(severity)s: median %(median)s h, 90th percentile %(p90)s h (%(count)s incidents)",
            box.count,
        )
        % {
            "severity": Severity(level).label,
            "median": f"{box.median or 0:.1f}",
            "p90": f"{box.p90 or 0:.1f}",
            "count": box.count,
        }
        for level, box in sorted(overall.items())
    ]
    return "; ".join(parts) + "."


# --- follow-through -----------------------------------------------------------


def _on_time_chart(
    result: OnTime,
    *,
    name: str,
    title: str,
    summary: str,
    hrefs: dict[str, str],
    labels: dict[str, str],
) -> Chart:
    quarters = sorted(
        {
            q
            for counts in (result.on_time, result.late, result.overdue, result.pending)
            for q in counts
        }
    )
    series = tuple(
        Series(
            key,
            labels[key],
            tuple(getattr(result, key).get(q, 0) for q in quarters),
            tuple(hrefs.get(key, "") for _q in quarters),
        )
        for key in ("on_time", "late", "overdue", "pending")
    )
    return Chart(
        name=name,
        title=title,
        summary=summary,
        kind=ChartKind.STACKED,
        category_title=_("Quarter due"),
        categories=tuple(queries.quarter_label(q) for q in quarters),
        series=series,
        empty_text=_("Nothing with a due date in this period."),
    )


def follow_through_charts(context: Context, incidents: QuerySet[Incident]) -> list[Chart]:
    postmortems = queries.postmortems_on_time(incidents, context.today)
    items, age_counts = queries.actions_on_time(incidents, context.today, context.now)
    ages = {key: age_counts[f"age_{key}"] for key, _days in queries.AGE_BUCKETS}
    labels = {
        "on_time": _("Done on time"),
        "late": _("Done late"),
        "overdue": _("Open, overdue"),
        "pending": _("Open, not yet due"),
    }
    actions_list = reverse("actions:list")
    team = {"team": context.filters.team} if context.filters.team else {}
    action_hrefs = {
        "on_time": f"{actions_list}?{urlencode({'status': 'done', **team})}",
        "late": f"{actions_list}?{urlencode({'status': 'done', **team})}",
        "overdue": f"{actions_list}?{urlencode({'overdue': '1', **team})}",
        "pending": f"{actions_list}?{urlencode({'status': 'active', **team})}",
    }
    postmortem_list = reverse("postmortems:list")
    postmortem_hrefs = {
        "on_time": f"{postmortem_list}?status=approved",
        "late": f"{postmortem_list}?status=approved",
        "overdue": f"{postmortem_list}?overdue=on",
        "pending": f"{postmortem_list}?status=draft",
    }
    return [
        _on_time_chart(
            postmortems,
            name="postmortems-on-time",
            title=_("Postmortems completed on time"),
            summary=_postmortem_summary(postmortems),
            hrefs=postmortem_hrefs,
            labels=labels,
        ),
        _on_time_chart(
            items,
            name="action-items-on-time",
            title=_("Action items done on time"),
            summary=_action_summary(items),
            hrefs=action_hrefs,
            labels=labels,
        ),
        _ages_chart(ages, f"{actions_list}?{urlencode({'status': 'active', **team})}"),
    ]


def _postmortem_summary(result: OnTime) -> str:
    done = result.total("on_time") + result.total("late")
    return ngettext(
        "%(on_time)s of %(done)s postmortem completed was completed by its due date "
        "(%(percent)s%%); %(overdue)s still open are past it.",
        "%(on_time)s of %(done)s postmortems completed were completed by their due date "
        "(%(percent)s%%); %(overdue)s still open are past it.",
        done,
    ) % {
        "done": done,
        "on_time": result.total("on_time"),
        "percent": _percent(result.total("on_time"), done),
        "overdue": result.total("overdue"),
    }


def _action_summary(result: OnTime) -> str:
    done = result.total("on_time") + result.total("late")
    return ngettext(
        "%(on_time)s of %(done)s action item done was done by its due date "
        "(%(percent)s%%); %(overdue)s still open are past it.",
        "%(on_time)s of %(done)s action items done were done by their due date "
        "(%(percent)s%%); %(overdue)s still open are past it.",
        done,
    ) % {
        "done": done,
        "on_time": result.total("on_time"),
        "percent": _percent(result.total("on_time"), done),
        "overdue": result.total("overdue"),
    }


def _ages_chart(ages: dict[str, int], href: str) -> Chart:
    labels = {
        "week": _("Under a week"),
        "month": _("1 to 4 weeks"),
        "quarter": _("1 to 3 months"),
        "half": _("3 to 6 months"),
        "older": _("Over 6 months"),
    }
    keys = [key for key, _days in queries.AGE_BUCKETS]
    total = sum(ages.values())
    old = ages.get("half", 0) + ages.get("older", 0)
    return Chart(
        name="open-action-item-age",
        title=_("Age of open action items"),
        summary=ngettext(
            "%(total)s action item is open; %(old)s of them was created over 3 months ago.",
            "%(total)s action items are open; %(old)s of them were created over 3 months ago.",
            total,
        )
        % {"total": total, "old": old},
        kind=ChartKind.BARS,
        category_title=_("Age"),
        categories=tuple(labels[key] for key in keys),
        series=(
            Series(
                "open",
                _("Open action items"),
                tuple(ages.get(key, 0) for key in keys),
                tuple(href for _key in keys),
            ),
        ),
        empty_text=_("No open action items."),
    )


# --- near misses and time invested -----------------------------------------


def near_miss_chart(context: Context) -> Chart:
    counts = queries.near_misses_per_month(context.period)
    # Only reviewers may open the reports behind the counts.
    reports_list = reverse("reports:list") if context.reviews_reports else ""
    months = _months(context.period)
    total = sum(counts.values())
    return Chart(
        name="near-misses",
        title=_("Near misses reported"),
        summary=ngettext(
            "%(count)s near miss reported in this period (the incident filters do not apply).",
            "%(count)s near misses reported in this period (the incident filters do not apply).",
            total,
        )
        % {"count": total},
        kind=ChartKind.BARS,
        category_title=_("Month"),
        categories=tuple(month.strftime("%Y-%m") for month in months),
        series=(
            Series(
                "near_miss",
                _("Near misses"),
                tuple(counts.get(month, 0) for month in months),
                tuple(reports_list for _month in months),
            ),
        ),
        empty_text=_("No near misses reported in this period."),
    )


def _months(period: Period) -> list[date]:
    month = period.first_day.replace(day=1)
    months = []
    while month <= period.last_day:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def time_invested_chart(context: Context, incidents: QuerySet[Incident]) -> Chart:
    invested = queries.time_invested(incidents, context.now)
    names = dict(Team.objects.values_list("slug", "name"))
    categories, keys = [], []
    for team in invested.teams():
        for quarter in invested.quarters():
            if any(
                (team, quarter) in table
                for table in (invested.roles, invested.writing, invested.reviewing)
            ):
                label = names.get(team, team) if team else _("No team")
                categories.append(f"{label} · {queries.quarter_label(quarter)}")
                keys.append((team, quarter))
    kinds = (
        ("roles", _("Incident roles"), invested.roles),
        ("writing", _("Writing postmortems"), invested.writing),
        ("reviewing", _("Reviewing postmortems"), invested.reviewing),
    )
    series = []
    for key, label, table in kinds:
        hrefs = tuple(
            incident_list_url(
                context.filters,
                _quarter_days(quarter, context.period),
                {"team": team} if team else {},
            )
            for team, quarter in keys
        )
        series.append(Series(key, label, tuple(table.get(k, 0.0) for k in keys), hrefs))
    totals = {key: sum(table.values()) for key, _label, table in kinds}
    return Chart(
        name="time-invested",
        title=_("Time invested, in person-hours"),
        summary=_(
            "%(roles)s person-hours in incident roles, %(writing)s writing postmortems and "
            "%(reviewing)s reviewing them. Postmortem hours are estimated from editing "
            "sessions; an incident of two teams counts for both."
        )
        % {name: f"{hours:.1f}" for name, hours in totals.items()},
        kind=ChartKind.STACKED,
        category_title=_("Team and quarter"),
        categories=tuple(categories),
        series=tuple(series),
        unit=_("person-hours"),
        digits=1,
        empty_text=_("No time recorded in this period."),
    )


# --- the page --------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    charts: list[Chart]


def build_sections(context: Context, incidents: QuerySet[Incident]) -> list[Section]:
    return [
        Section("incidents", _("Incidents"), weekly_charts(context, incidents)),
        Section("durations", _("How long incidents take"), duration_charts(context, incidents)),
        Section("follow-through", _("Follow-through"), follow_through_charts(context, incidents)),
        Section("near-misses", _("Near misses"), [near_miss_chart(context)]),
        Section("time", _("Time invested"), [time_invested_chart(context, incidents)]),
    ]


# Every chart's name, in page order (the API's `chart` parameter is checked
# against it before anything is computed).
CHART_NAMES = (
    "incidents-by-severity",
    "incidents-by-type",
    "incidents-by-service",
    "incidents-by-trigger",
    "incidents-by-detection",
    *(f"time-to-{metric}" for metric in queries.METRICS),
    "postmortems-on-time",
    "action-items-on-time",
    "open-action-item-age",
    "near-misses",
    "time-invested",
)


def build_charts(context: Context, incidents: QuerySet[Incident]) -> list[Chart]:
    return [chart for section in build_sections(context, incidents) for chart in section.charts]

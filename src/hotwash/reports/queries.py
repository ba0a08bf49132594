"""Who sees which report, and the counts insights will read.

Reviewers (admins, and people or groups granted the review permission) see
every report; anyone else sees only the reports they filed under their own
name, and of those only the status and the outcome (`present.py`). An
anonymous report has no author, so nobody finds it among "their" reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import admins_q, is_admin
from hotwash.core.errors import NotFound, PermissionDenied
from hotwash.core.refs import parse_ref
from hotwash.core.text import clean_choice
from hotwash.reports.models import (
    REF_PREFIX,
    REVIEW_PERMISSION,
    REVIEW_PERMISSION_NAME,
    Kind,
    Report,
    Status,
)


def can_review_reports(user: User | AnonymousUser) -> bool:
    """Admins, and whoever holds the review permission themselves or
    through one of their groups."""
    if not user.is_authenticated or not user.is_active:
        return False
    return is_admin(user) or user.has_perm(REVIEW_PERMISSION_NAME)


def reviewers_q() -> Q:
    """can_review_reports as a filter on users: active admins and active
    holders of the permission, their own or a group's."""
    granted = {"codename": REVIEW_PERMISSION, "content_type__app_label": "reports"}
    holders = User.objects.filter(
        Q(**{f"user_permissions__{k}": v for k, v in granted.items()})
        | Q(**{f"groups__permissions__{k}": v for k, v in granted.items()})
    )
    return Q(is_active=True) & (admins_q() | Q(pk__in=holders.values("pk")))


def open_reports() -> QuerySet[Report]:
    """The reports still waiting for a reviewer's decision."""
    return Report.objects.filter(status=Status.OPEN)


def require_reviewer(user: User | AnonymousUser) -> None:
    if not can_review_reports(user):
        raise PermissionDenied(
            _(
                "Only people who review near misses and concerns can list them. "
                "Ask an admin if you should be one."
            )
        )


def reports_for_review(
    user: User | AnonymousUser, *, kind: str | None = None, status: str | None = None
) -> QuerySet[Report]:
    """Every report, newest first, for a reviewer; PermissionDenied for
    anyone else."""
    require_reviewer(user)
    reports = Report.objects.select_related("author", "postmortem", "incident")
    if kind:
        reports = reports.filter(kind=kind)
    if status:
        reports = reports.filter(status=status)
    return reports


def own_reports(user: User) -> QuerySet[Report]:
    """The reports `user` filed under their name, newest first."""
    return Report.objects.filter(author=user).select_related("postmortem", "incident")


def parse_report_ref(ref: object) -> int:
    return parse_ref(ref, REF_PREFIX, _("No report %(ref)s."))


def get_report(user: User | AnonymousUser, ref: object) -> Report:
    """One report, for a reviewer or the person who filed it under their
    name. For anyone else it does not exist (NotFound, as for a missing
    one), so nobody learns which numbers are taken."""
    number = parse_report_ref(ref)
    report = (
        Report.objects.select_related("author", "decided_by", "postmortem", "incident")
        .filter(pk=number)
        .first()
    )
    if report is None or not can_read(user, report):
        raise NotFound(_("No report %(ref)s.") % {"ref": f"{REF_PREFIX}{number}"})
    return report


def can_read(user: User | AnonymousUser, report: Report) -> bool:
    if not user.is_authenticated:
        return False
    return can_review_reports(user) or (
        report.author_id is not None and report.author_id == user.pk
    )


@dataclass(frozen=True)
class MonthCount:
    month: date
    kind: str
    count: int


def counts_per_kind_and_month(
    *, since: datetime | None = None, until: datetime | None = None
) -> list[MonthCount]:
    """How many reports of each kind were filed each month (in the active
    time zone), oldest month first: what insights show ("a healthy
    organisation reports many near misses"). Counts only, never who."""
    reports = Report.objects.all()
    if since is not None:
        reports = reports.filter(created_at__gte=since)
    if until is not None:
        reports = reports.filter(created_at__lt=until)
    rows = (
        reports.annotate(month=TruncMonth("created_at"))
        .values("month", "kind")
        .annotate(count=Count("id"))
        .order_by("month", "kind")
    )
    return [
        MonthCount(month=_as_date(row["month"]), kind=row["kind"], count=row["count"])
        for row in rows
    ]


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


MONTHS_SHOWN = 12


@dataclass(frozen=True)
class MonthTotals:
    month: date
    near_misses: int
    concerns: int


def last_months(today: date, count: int = MONTHS_SHOWN) -> list[MonthTotals]:
    """Near misses and concerns filed in each of the last `count` months
    (this one included), newest first, months without any included."""
    months = _month_starts(today, count)
    since = timezone.make_aware(datetime.combine(months[-1], time.min))
    counts = {(row.month, row.kind): row.count for row in counts_per_kind_and_month(since=since)}
    return [
        MonthTotals(
            month=month,
            near_misses=counts.get((month, Kind.NEAR_MISS), 0),
            concerns=counts.get((month, Kind.CONCERN), 0),
        )
        for month in months
    ]


def _month_starts(today: date, count: int) -> list[date]:
    """The first day of this month and of the `count - 1` before it, newest first."""
    year, month = today.year, today.month
    starts: list[date] = []
    for _step in range(count):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts


def clean_status(value: object) -> str:
    return clean_choice(
        value, Status, field="status", message=_("Unknown status %(value)s: use %(choices)s.")
    )

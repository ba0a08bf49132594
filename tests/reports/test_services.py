"""Filing, discussing and deciding reports, and who may review them."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.contrib.auth.models import Group, User
from django.utils import translation

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user
from hotwash.core.errors import Conflict, InvalidInput, PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import TimelineKind
from hotwash.postmortems.models import Kind as PostmortemKind
from hotwash.postmortems.models import Section
from hotwash.reports import services
from hotwash.reports.models import Report, ReportComment, Status
from hotwash.reports.queries import (
    MonthCount,
    can_review_reports,
    counts_per_kind_and_month,
    last_months,
)
from tests.reports.conftest import near_miss

pytestmark = pytest.mark.django_db


def _audit(report: Report) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(object_type="reports.report", object_id=str(report.pk)))


# --- filing -------------------------------------------------------------------


def test_it_files_a_named_report_with_its_author(reporter: User) -> None:
    report = services.file_report(
        author=reporter, kind="concern", text="  On-call hand-overs are skipped.  ", anonymous=False
    )
    assert report.author == reporter
    assert report.kind == "concern"
    assert report.text == "On-call hand-overs are skipped."
    assert report.status == Status.OPEN
    [record] = _audit(report)
    assert record.actor == reporter
    assert record.action == "report.filed"


def test_it_files_an_anonymous_report_with_no_author_anywhere(reporter: User) -> None:
    report = near_miss(reporter, anonymous=True)
    report.refresh_from_db()
    assert report.author_id is None
    assert report.is_anonymous
    [record] = _audit(report)
    assert record.actor_id is None
    assert record.changes == {"kind": "near-miss", "anonymous": True}


@pytest.mark.parametrize(
    ("kind", "text", "field"),
    [
        ("accident", "Something", "kind"),
        ("", "Something", "kind"),
        ("near-miss", "   ", "text"),
        ("near-miss", "x" * (services.TEXT_MAX + 1), "text"),
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(
    reporter: User, kind: str, text: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.file_report(author=reporter, kind=kind, text=text, anonymous=True)
    assert refused.value.field == field
    assert not Report.objects.exists()
    assert not AuditRecord.objects.filter(action="report.filed").exists()


def test_kind_is_read_whatever_its_case(reporter: User) -> None:
    report = services.file_report(author=reporter, kind=" Near-Miss ", text="x", anonymous=False)
    assert report.kind == "near-miss"


# --- who reviews --------------------------------------------------------------


def test_admins_review_without_a_grant(admin_user: User, reporter: User) -> None:
    assert can_review_reports(admin_user)
    assert not can_review_reports(reporter)


def test_a_group_grant_makes_its_members_reviewers(reviewer: User, admin_user: User) -> None:
    assert can_review_reports(reviewer)
    [record] = AuditRecord.objects.filter(action="report_review.granted")
    assert record.actor == admin_user
    assert record.changes == {"group": "learning reviewers"}


def test_revoking_ends_it(reviewer: User, admin_user: User) -> None:
    group = Group.objects.get(name="learning reviewers")
    services.revoke_review(group=group, actor=admin_user)
    assert not can_review_reports(User.objects.get(pk=reviewer.pk))
    assert AuditRecord.objects.filter(action="report_review.revoked").count() == 1


def test_a_person_can_be_granted_directly(admin_user: User, reporter: User) -> None:
    services.grant_review(person=reporter, actor=admin_user)
    assert can_review_reports(User.objects.get(pk=reporter.pk))
    assert AuditRecord.objects.get(action="report_review.granted").changes == {"person": "nadia"}


def test_only_admins_grant(reporter: User, reviewer: User) -> None:
    with pytest.raises(PermissionDenied):
        services.grant_review(person=reporter, actor=reviewer)
    assert not can_review_reports(User.objects.get(pk=reporter.pk))


def test_an_inactive_reviewer_reviews_nothing(reviewer: User) -> None:
    reviewer.is_active = False
    reviewer.save()
    assert not can_review_reports(User.objects.get(pk=reviewer.pk))


# --- discussing and deciding ------------------------------------------------------


def test_reviewers_comment_and_others_cannot(reviewer: User, reporter: User) -> None:
    report = near_miss(reporter)
    comment = services.add_comment(report, actor=reviewer, body="Seen this twice this month.")
    assert comment.author == reviewer
    with pytest.raises(PermissionDenied):
        services.add_comment(report, actor=reporter, body="Me too")
    assert ReportComment.objects.count() == 1


def test_closing_needs_a_note_and_happens_once(reviewer: User, reporter: User) -> None:
    report = near_miss(reporter)
    with pytest.raises(InvalidInput) as refused:
        services.close_report(report, actor=reviewer, note=" ")
    assert refused.value.field == "note"
    closed = services.close_report(report, actor=reviewer, note="Fixed the script's guard.")
    assert closed.status == Status.CLOSED
    assert closed.note == "Fixed the script's guard."
    assert closed.decided_by == reviewer
    with pytest.raises(Conflict):
        services.close_report(report, actor=reviewer, note="Again")
    assert AuditRecord.objects.filter(action="report.closed").count() == 1


def test_a_near_miss_becomes_a_retrospective(reviewer: User, reporter: User) -> None:
    report = near_miss(reporter, anonymous=True)
    decided = services.convert_to_retrospective(report, actor=reviewer, note="Let's learn.")
    retrospective = decided.postmortem
    assert retrospective is not None
    assert decided.status == Status.RETROSPECTIVE
    assert retrospective.kind == PostmortemKind.SUCCESS
    assert retrospective.title == "Near miss: The deploy script almost ran against production."
    assert retrospective.owner == reviewer
    summary = Section.objects.get(postmortem=retrospective, key="summary")
    assert summary.body == report.text
    record = AuditRecord.objects.get(action="report.converted")
    assert record.changes == {"into": "retrospective", "postmortem": retrospective.ref}


def test_a_near_miss_becomes_an_incident_that_says_where_it_came_from(
    reviewer: User, reporter: User
) -> None:
    report = near_miss(reporter)
    decided = services.convert_to_incident(report, actor=reviewer, title="Deploy guard", severity=3)
    incident = decided.incident
    assert incident is not None
    assert decided.status == Status.INCIDENT
    assert (incident.title, incident.severity, incident.summary) == ("Deploy guard", 3, report.text)
    entry = incident.timeline.get(kind=TimelineKind.REPORT)
    assert describe_event(entry) == f"Declared from near-miss report {report.ref}."
    with translation.override("fr"):
        assert (
            describe_event(entry)
            == f"Déclaré à partir du signalement de quasi-incident {report.ref}."
        )


def test_a_concern_becomes_neither(reviewer: User, reporter: User) -> None:
    report = services.file_report(author=reporter, kind="concern", text="x", anonymous=False)
    with pytest.raises(Conflict):
        services.convert_to_retrospective(report, actor=reviewer)
    with pytest.raises(Conflict):
        services.convert_to_incident(report, actor=reviewer)
    report.refresh_from_db()
    assert report.status == Status.OPEN


def test_a_decided_report_is_not_converted_again(reviewer: User, reporter: User) -> None:
    report = near_miss(reporter)
    services.convert_to_retrospective(report, actor=reviewer)
    with pytest.raises(Conflict):
        services.convert_to_incident(report, actor=reviewer)
    report.refresh_from_db()
    assert report.incident is None


def test_a_refused_conversion_leaves_the_report_open(reviewer: User, reporter: User) -> None:
    report = near_miss(reporter)
    with pytest.raises(InvalidInput):
        services.convert_to_incident(report, actor=reviewer, severity=9)
    report.refresh_from_db()
    assert report.status == Status.OPEN
    assert not AuditRecord.objects.filter(action="report.converted").exists()


def test_a_viewer_granted_review_cannot_declare(admin_user: User, reporter: User) -> None:
    viewer = create_user("vic", role=Role.VIEWER)
    services.grant_review(person=viewer, actor=admin_user)
    viewer = User.objects.get(pk=viewer.pk)
    report = near_miss(reporter)
    services.add_comment(report, actor=viewer, body="Worth an incident?")
    with pytest.raises(PermissionDenied):
        services.convert_to_incident(report, actor=viewer)
    report.refresh_from_db()
    assert report.status == Status.OPEN


# --- counting -----------------------------------------------------------------------


def test_it_counts_reports_per_kind_and_month(reporter: User) -> None:
    def filed(kind: str, at: str) -> None:
        services.file_report(
            author=reporter, kind=kind, text="x", anonymous=True, now=datetime.fromisoformat(at)
        )

    filed("near-miss", "2026-01-05T10:00:00+00:00")
    filed("near-miss", "2026-01-20T10:00:00+00:00")
    filed("concern", "2026-01-21T10:00:00+00:00")
    filed("near-miss", "2026-02-01T10:00:00+00:00")
    counts = counts_per_kind_and_month()
    assert [(c.month.isoformat(), c.kind, c.count) for c in counts] == [
        ("2026-01-01", "concern", 1),
        ("2026-01-01", "near-miss", 2),
        ("2026-02-01", "near-miss", 1),
    ]
    since = datetime.fromisoformat("2026-02-01T00:00:00+00:00")
    assert counts_per_kind_and_month(since=since) == [
        MonthCount(month=since.date(), kind="near-miss", count=1)
    ]
    # The reviewers' table: the last months, newest first, across the year's
    # turn, empty months included, nothing older than the first month shown.
    filed("concern", "2025-11-30T10:00:00+00:00")
    months = last_months(date(2026, 2, 14), count=3)
    assert [(m.month.isoformat(), m.near_misses, m.concerns) for m in months] == [
        ("2026-02-01", 1, 0),
        ("2026-01-01", 2, 1),
        ("2025-12-01", 0, 0),
    ]

"""`hotwash report-reviewers`: list, grant and revoke, with audit records."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from hotwash.core.models import AuditRecord
from hotwash.reports.queries import can_review_reports

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("report-reviewers", *args, stdout=out)
    return out.getvalue()


def test_it_grants_lists_and_revokes(reporter: User, admin_user: User) -> None:
    assert run("grant", "nadia") == "nadia can now review reports.\n"
    assert can_review_reports(User.objects.get(pk=reporter.pk))
    assert run("grant", "--group", "learning reviewers").startswith("learning reviewers can")
    listing = run("list")
    assert listing == (
        "People who review reports:\n  ada\n  nadia\n"
        "Groups whose members review reports:\n  learning reviewers\n"
    )
    run("revoke", "nadia")
    assert not can_review_reports(User.objects.get(pk=reporter.pk))
    records = AuditRecord.objects.filter(action__startswith="report_review.").order_by("id")
    assert [(r.action, r.actor_id, r.changes) for r in records] == [
        ("report_review.granted", None, {"person": "nadia"}),
        ("report_review.granted", None, {"group": "learning reviewers"}),
        ("report_review.revoked", None, {"person": "nadia"}),
    ]


def test_unknown_names_are_refused(db: None) -> None:
    with pytest.raises(CommandError, match="no user named ghost"):
        run("grant", "ghost")
    with pytest.raises(CommandError, match="no group named ghosts"):
        run("revoke", "--group", "ghosts")
    with pytest.raises(CommandError, match="Name the person"):
        run("grant")
    assert not AuditRecord.objects.filter(action__startswith="report_review.").exists()

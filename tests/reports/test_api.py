"""The reports API: filing, the reviewers' list and actions, and what the
person who filed a report may read of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident
from hotwash.postmortems.models import Postmortem
from hotwash.reports import services
from hotwash.reports.models import Report, ReportComment
from tests.reports.conftest import near_miss, post_json, token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports"


def _file(client: Client, **fields: Any) -> Any:
    body = {"kind": "near-miss", "text": "A backup almost overwrote the live disk.", **fields}
    return post_json(client, URL, body)


# --- filing -------------------------------------------------------------------


def test_anyone_signed_in_files_a_named_report(reporter: User) -> None:
    response = _file(token_client(reporter), anonymous=False)
    assert response.status_code == 201
    body = response.json()
    report = Report.objects.get()
    assert body["id"] == report.ref
    assert body["anonymous"] is False
    assert body["status"] == "open"
    assert body["url"].endswith(f"/en/reports/{report.pk}/")
    # The filer's view: no reviewers' fields.
    assert body["author"] is None and body["comments"] is None
    assert report.author == reporter


def test_a_viewer_files_too(viewer: User) -> None:
    assert _file(token_client(viewer), kind="concern", anonymous=True).status_code == 201


def test_an_anonymous_report_answers_without_a_way_back(reporter: User) -> None:
    response = _file(token_client(reporter), anonymous=True)
    assert response.status_code == 201
    body = response.json()
    assert body["anonymous"] is True
    assert body["url"] is None
    assert Report.objects.get().author_id is None
    # Not theirs any more: they cannot read it.
    assert token_client(reporter).get(f"{URL}/{body['number']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "accident", "text": "x", "anonymous": True}, "kind"),
        ({"kind": "near-miss", "text": "", "anonymous": True}, "text"),
        ({"kind": "near-miss", "text": "x"}, "anonymous"),
        ({"kind": "near-miss", "text": "x", "anonymous": "yes"}, "anonymous"),
        ({"kind": "near-miss", "text": "x", "anonymous": None}, "anonymous"),
        ({"kind": "near-miss", "text": "x", "anonymous": True, "author": "sam"}, "author"),
    ],
)
def test_bad_input_is_a_422_that_files_nothing(reporter: User, body: Any, field: str) -> None:
    response = post_json(token_client(reporter), URL, body)
    assert response.status_code == 422
    assert field in str(response.json())
    assert not Report.objects.exists()


def test_filing_needs_a_signed_in_caller(db: None) -> None:
    response = post_json(Client(), URL, {"kind": "near-miss", "text": "x", "anonymous": True})
    assert response.status_code == 401
    assert not Report.objects.exists()


# --- the reviewers' list -------------------------------------------------------------


def test_only_reviewers_list_reports(reviewer: User, admin_user: User, reporter: User) -> None:
    near_miss(reporter)
    near_miss(reporter, anonymous=True)
    assert token_client(reporter).get(URL).status_code == 403
    for person in (reviewer, admin_user):
        response = token_client(person).get(URL)
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2
        assert [item["author"] for item in body["items"]] == [None, "nadia"]


def test_the_list_filters_by_kind_and_status(reviewer: User, reporter: User) -> None:
    kept = near_miss(reporter)
    services.file_report(author=reporter, kind="concern", text="x", anonymous=True)
    closed = near_miss(reporter)
    services.close_report(closed, actor=reviewer, note="Done")
    client = token_client(reviewer)
    body = client.get(URL, {"kind": "near-miss", "status": "open"}).json()
    assert [item["id"] for item in body["items"]] == [kept.ref]
    assert client.get(URL, {"kind": "accident"}).status_code == 422


# --- one report ------------------------------------------------------------------------


def test_the_reporter_follows_their_report_but_not_the_discussion(
    reviewer: User, reporter: User
) -> None:
    report = near_miss(reporter)
    services.add_comment(report, actor=reviewer, body="Who else saw this?")
    services.close_report(report, actor=reviewer, note="The backup job now checks its target.")
    body = token_client(reporter).get(f"{URL}/{report.ref}").json()
    assert body["status"] == "closed"
    assert body["note"] == "The backup job now checks its target."
    assert body["comments"] is None and body["decided_by"] is None
    full = token_client(reviewer).get(f"{URL}/{report.pk}").json()
    assert [c["body"] for c in full["comments"]] == ["Who else saw this?"]
    assert full["author"] == "nadia"
    assert full["decided_by"] == "rosa"


def test_someone_else_gets_404(reporter: User, other_responder: User) -> None:
    report = near_miss(reporter)
    assert token_client(other_responder).get(f"{URL}/{report.pk}").status_code == 404
    assert token_client(other_responder).get(f"{URL}/RPT-999").status_code == 404
    assert token_client(other_responder).get(f"{URL}/nonsense").status_code == 404


def test_mine_lists_only_my_named_reports(reporter: User, other_responder: User) -> None:
    mine = near_miss(reporter)
    near_miss(reporter, anonymous=True)
    near_miss(other_responder)
    body = token_client(reporter).get(f"{URL}/mine").json()
    assert [item["id"] for item in body["items"]] == [mine.ref]


# --- review actions ----------------------------------------------------------------------


def test_reviewers_comment(reviewer: User, reporter: User) -> None:
    report = near_miss(reporter)
    response = post_json(token_client(reviewer), f"{URL}/{report.pk}/comments", {"body": "Hm."})
    assert response.status_code == 201
    assert response.json()["author"] == "rosa"


def test_the_reporter_cannot_act_on_their_report(reporter: User) -> None:
    report = near_miss(reporter)
    client = token_client(reporter)
    assert post_json(client, f"{URL}/{report.pk}/comments", {"body": "x"}).status_code == 403
    assert post_json(client, f"{URL}/{report.pk}/close", {"note": "x"}).status_code == 403
    assert post_json(client, f"{URL}/{report.pk}/incident", {}).status_code == 403
    assert not ReportComment.objects.exists()
    report.refresh_from_db()
    assert report.is_open


def test_others_get_404_for_actions(reporter: User, other_responder: User) -> None:
    report = near_miss(reporter)
    client = token_client(other_responder)
    assert post_json(client, f"{URL}/{report.pk}/close", {"note": "x"}).status_code == 404


def test_close_then_409(reviewer: User, reporter: User) -> None:
    report = near_miss(reporter)
    client = token_client(reviewer)
    assert post_json(client, f"{URL}/{report.pk}/close", {"note": ""}).status_code == 422
    response = post_json(client, f"{URL}/{report.pk}/close", {"note": "Known, fixed."})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert post_json(client, f"{URL}/{report.pk}/close", {"note": "Again"}).status_code == 409


def test_convert_to_a_retrospective(reviewer: User, reporter: User) -> None:
    report = near_miss(reporter, anonymous=True)
    response = post_json(
        token_client(reviewer), f"{URL}/{report.pk}/retrospective", {"title": "Backup targets"}
    )
    assert response.status_code == 201
    body = response.json()
    retrospective = Postmortem.objects.get()
    assert body["postmortem"] == retrospective.ref
    assert body["status"] == "retrospective"
    assert retrospective.title == "Backup targets"


def test_convert_to_an_incident(reviewer: User, reporter: User) -> None:
    report = near_miss(reporter)
    response = post_json(
        token_client(reviewer), f"{URL}/{report.pk}/incident", {"severity": 4, "private": True}
    )
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert response.json()["incident"] == incident.ref
    assert incident.private and incident.severity == 4
    assert AuditRecord.objects.filter(action="incident.declared", actor=reviewer).exists()


def test_a_concern_cannot_be_converted(reviewer: User, reporter: User) -> None:
    report = services.file_report(author=reporter, kind="concern", text="x", anonymous=False)
    response = post_json(token_client(reviewer), f"{URL}/{report.pk}/retrospective", {})
    assert response.status_code == 409
    assert not Postmortem.objects.exists()


def test_the_endpoints_are_in_the_openapi_document(reporter: User) -> None:
    paths = token_client(reporter).get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/reports",
        "/api/v1/reports/mine",
        "/api/v1/reports/{ref}",
        "/api/v1/reports/{ref}/comments",
        "/api/v1/reports/{ref}/close",
        "/api/v1/reports/{ref}/retrospective",
        "/api/v1/reports/{ref}/incident",
    ):
        assert path in paths

"""The pages: filing (the anonymity explained before sending), my reports,
and the reviewers' list and detail with their POST handlers."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from hotwash.incidents.models import Incident
from hotwash.postmortems.models import Postmortem
from hotwash.reports import services
from hotwash.reports.models import Report, ReportComment, Status
from tests.reports.conftest import near_miss, session_client

pytestmark = pytest.mark.django_db

FILE = "/en/reports/new/"


def test_the_filing_page_explains_anonymity_before_the_send_button(reporter: User) -> None:
    page = session_client(reporter).get(FILE).content.decode()
    explanation = page.index("not in the audit trail, not in the server's request log")
    choice = page.index('value="anonymous"')
    button = page.index("Send the report")
    assert explanation < choice < button
    assert 'aria-current="page"' in page and 'href="/en/reports/new/"' in page


def test_the_page_reads_in_french(reporter: User) -> None:
    page = session_client(reporter).get("/fr/reports/new/").content.decode()
    assert "Envoyé anonymement, Hotwash ne garde rien qui le relie à vous" in page
    assert "Signaler un quasi-incident" in page


def test_signed_out_visitors_are_sent_to_sign_in(db: None) -> None:
    response = Client().get(FILE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_named_report_takes_you_to_it(reporter: User) -> None:
    client = session_client(reporter)
    response = client.post(
        FILE, {"kind": "concern", "text": "Pager fatigue on nights.", "identity": "named"}
    )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/en/reports/{report.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Pager fatigue on nights." in page
    assert "Open: the reviewers have not decided yet." in page
    # The reviewers' discussion and decisions are not the reporter's.
    assert "Reviewers&#x27; discussion" not in page and "Close the report" not in page


def test_an_anonymous_report_answers_with_its_own_page(reporter: User) -> None:
    client = session_client(reporter)
    response = client.post(
        FILE, {"kind": "near-miss", "text": "Almost dropped a table.", "identity": "anonymous"}
    )
    assert response.status_code == 200
    assert "Report sent anonymously" in response.content.decode()
    assert Report.objects.get().author_id is None
    # Nothing was left in the session for the next page to show.
    assert "Almost dropped" not in client.get("/en/reports/mine/").content.decode()


def test_the_choice_of_name_is_required(reporter: User) -> None:
    response = session_client(reporter).post(FILE, {"kind": "near-miss", "text": "x"})
    assert response.status_code == 422
    assert "Choose whether to file it with your name or anonymously." in response.content.decode()
    assert not Report.objects.exists()


def test_empty_text_shows_the_services_message(reporter: User) -> None:
    response = session_client(reporter).post(
        FILE, {"kind": "near-miss", "text": "  ", "identity": "named"}
    )
    assert response.status_code == 422
    assert "Say what happened, or what concerns you." in response.content.decode()
    assert not Report.objects.exists()


def test_my_reports_shows_mine_only(reporter: User, other_responder: User) -> None:
    near_miss(reporter, text="Mine, named")
    near_miss(reporter, anonymous=True, text="Mine, anonymous")
    near_miss(other_responder, text="Sam's")
    page = session_client(reporter).get("/en/reports/mine/").content.decode()
    assert "Mine, named" in page
    assert "Mine, anonymous" not in page and "Sam&#x27;s" not in page


def test_the_list_is_for_reviewers(reviewer: User, reporter: User) -> None:
    near_miss(reporter, anonymous=True, text="Anonymous one")
    near_miss(reporter, text="Named one")
    assert session_client(reporter).get("/en/reports/").status_code == 403
    page = session_client(reviewer).get("/en/reports/").content.decode()
    assert "Anonymous one" in page and "Named one" in page
    assert "nadia" in page and ">Anonymous<" in page


def test_reviewers_see_how_many_were_reported_each_month(reviewer: User, reporter: User) -> None:
    near_miss(reporter, anonymous=True)
    near_miss(reporter)
    services.file_report(author=reporter, kind="concern", text="Too long", anonymous=True)
    page = session_client(reviewer).get("/en/reports/").content.decode()
    table = page[page.index('class="reports-per-month"') :]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td></tr>', table)
    assert len(rows) == 12
    this_month = date_format(timezone.localdate(), "F Y")
    assert rows[0] == (this_month, "2", "1")
    assert all(row[1:] == ("0", "0") for row in rows[1:])
    french = session_client(reviewer).get("/fr/reports/").content.decode()
    assert "Signalés par mois" in french


def test_a_report_is_404_for_others(reporter: User, other_responder: User) -> None:
    report = near_miss(reporter)
    assert session_client(other_responder).get(f"/en/reports/{report.pk}/").status_code == 404


def test_reviewers_comment_and_close_from_the_page(reviewer: User, reporter: User) -> None:
    report = near_miss(reporter)
    client = session_client(reviewer)
    response = client.post(f"/en/reports/{report.pk}/comments/", {"body": "Saw it too."})
    assert response.status_code == 302
    assert ReportComment.objects.get().body == "Saw it too."
    refused = client.post(f"/en/reports/{report.pk}/close/", {"note": ""})
    assert refused.status_code == 422
    assert "the person who filed it reads this note" in refused.content.decode()
    client.post(f"/en/reports/{report.pk}/close/", {"note": "Guard added."})
    report.refresh_from_db()
    assert report.status == Status.CLOSED
    reporter_page = session_client(reporter).get(f"/en/reports/{report.pk}/").content.decode()
    assert "Guard added." in reporter_page and "Saw it too." not in reporter_page


def test_reviewers_convert_from_the_page(reviewer: User, reporter: User) -> None:
    first, second = near_miss(reporter), near_miss(reporter)
    client = session_client(reviewer)
    client.post(f"/en/reports/{first.pk}/retrospective/", {"title": "", "note": ""})
    client.post(
        f"/en/reports/{second.pk}/incident/", {"title": "Guard", "severity": "3", "note": "x"}
    )
    assert Postmortem.objects.get().title.startswith("Near miss: The deploy script")
    incident = Incident.objects.get()
    assert (incident.title, incident.severity) == ("Guard", 3)
    page = session_client(reporter).get(f"/en/reports/{second.pk}/").content.decode()
    assert f"It became incident {incident.ref}." in page


def test_a_reporter_cannot_post_review_actions(reporter: User) -> None:
    report = near_miss(reporter)
    client = session_client(reporter)
    assert client.post(f"/en/reports/{report.pk}/close/", {"note": "x"}).status_code == 403
    assert client.post(f"/en/reports/{report.pk}/comments/", {"body": "x"}).status_code == 403
    report.refresh_from_db()
    assert report.is_open


def test_a_concern_has_no_conversion_forms(reviewer: User, reporter: User) -> None:
    report = services.file_report(author=reporter, kind="concern", text="x", anonymous=True)
    page = session_client(reviewer).get(f"/en/reports/{report.pk}/").content.decode()
    assert "Close the report" in page
    assert "Declare the incident" not in page

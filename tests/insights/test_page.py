"""The insights page: who may see it, what it counts for whom, its filters
and its exports (the figures are those of tests/insights/conftest.py)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user
from hotwash.incidents.linking import merge_incidents
from hotwash.incidents.models import Incident
from hotwash.incidents.services import declare_incident
from hotwash.reports.services import file_report
from tests.insights.conftest import at, client_for

pytestmark = pytest.mark.django_db

URL = "/en/insights/"


def charts(client: Client, **params: str) -> dict[str, dict[str, Any]]:
    response = client.get(URL, {"format": "json", **params})
    assert response.status_code == 200, response.content
    return {chart["name"]: chart for chart in response.json()["charts"]}


def rows(chart: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(chart["columns"], row, strict=True)) for row in chart["rows"]]


def test_it_sends_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login" in response["Location"] or "sign" in response["Location"]


def test_it_refuses_people_without_the_permission(responder_client: Client) -> None:
    assert responder_client.get(URL).status_code == 403
    assert responder_client.get(URL, {"format": "csv"}).status_code == 403


def test_it_shows_charts_with_summaries_and_tables(manager: User, world: dict[str, Any]) -> None:
    response = client_for(manager).get(URL, {"period": "4w"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="img" aria-labelledby="chart-incidents-by-severity-title ' in html
    assert "How much the monitoring catches: 2 of 3 incidents (67%) were detected by an alert." in (
        html
    )
    assert '<th scope="row">2026-02-23</th>' in html
    # pygal's script and inline styles, refused by the CSP, are not sent.
    assert "<script" not in html.split("<main", 1)[1]
    assert "<style" not in html
    assert 'style="' not in html.split("<main", 1)[1]


def test_counts_per_week_by_severity(manager: User, world: dict[str, Any]) -> None:
    chart = charts(client_for(manager), period="4w")["incidents-by-severity"]
    assert [(r["category"], r["1"], r["2"], r["3"], r["total"]) for r in rows(chart)] == [
        ("2026-02-23", 1, 0, 0, 1),
        ("2026-03-02", 0, 1, 0, 1),
        ("2026-03-09", 0, 0, 0, 0),
        ("2026-03-16", 0, 0, 1, 1),
    ]


def test_a_private_incident_counts_only_for_its_readers(
    manager: User, admin_user: User, world: dict[str, Any]
) -> None:
    # INC-c (private, SEV2, search) in the week of 03-09: the admin sees it,
    # the manager (not a participant) does not, anywhere on the page.
    for_manager = charts(client_for(manager), period="4w")
    for_admin = charts(client_for(admin_user), period="4w")
    assert rows(for_manager["incidents-by-severity"])[2]["2"] == 0
    assert rows(for_admin["incidents-by-severity"])[2]["2"] == 1
    assert "search" not in for_manager["incidents-by-service"]["columns"]
    assert "search" in for_admin["incidents-by-service"]["columns"]
    assert "security" not in for_manager["incidents-by-type"]["columns"]
    detect = {r["group"]: r for r in rows(for_admin["time-to-detect"])}
    # SEV2 for the admin: 2 h (INC-b) and 0.5 h (INC-c).
    assert detect["SEV2"]["count"] == 2
    assert detect["SEV2"]["median"] == 1.2  # 1.25, shown with one decimal
    assert rows(for_manager["time-to-detect"])[1]["count"] == 1
    manager_html = client_for(manager).get(URL, {"period": "4w"}).content.decode()
    assert "Search" not in manager_html.split("Time invested", 1)[1].split("</table>")[0]


def test_detection_and_trigger_shares(manager: User, world: dict[str, Any]) -> None:
    found = charts(client_for(manager), period="4w")
    detection = found["incidents-by-detection"]
    assert [r["alert"] for r in rows(detection)] == [1, 0, 0, 1]
    assert [r["customer"] for r in rows(detection)] == [0, 1, 0, 0]
    trigger = found["incidents-by-trigger"]
    assert [(r["downtime"], r["none"]) for r in rows(trigger)] == [(0, 1), (0, 1), (0, 0), (1, 0)]
    assert trigger["summary"].startswith("1 of 3 incidents (33%) were opened or proposed")


def test_durations_are_percentiles_per_severity(manager: User, world: dict[str, Any]) -> None:
    found = charts(client_for(manager), period="4w")
    resolve = {r["group"]: r for r in rows(found["time-to-resolve"])}
    assert resolve["SEV1"] == {
        "group": "SEV1", "count": 1, "p10": 4.0, "q1": 4.0, "median": 4.0, "q3": 4.0, "p90": 4.0
    }  # fmt: skip
    assert resolve["SEV2"]["median"] == 10.0
    assert "SEV3" not in resolve  # INC-d is not resolved yet
    acknowledge = {r["group"]: r["median"] for r in rows(found["time-to-acknowledge"])}
    assert acknowledge == {"SEV1": 0.2, "SEV2": 0.5, "SEV3": 0.1}
    assert found["time-to-resolve"]["summary"] == (
        "SEV1: median 4.0 h, 90th percentile 4.0 h (1 incident); "
        "SEV2: median 10.0 h, 90th percentile 10.0 h (1 incident)."
    )


def test_follow_through(manager: User, world: dict[str, Any]) -> None:
    found = charts(client_for(manager), period="4w")
    postmortems = rows(found["postmortems-on-time"])
    assert postmortems == [
        {"category": "2026 Q1", "on_time": 1, "late": 1, "overdue": 0, "pending": 0, "total": 2}
    ]
    items = rows(found["action-items-on-time"])
    assert items == [
        {"category": "2026 Q1", "on_time": 1, "late": 0, "overdue": 1, "pending": 0, "total": 2}
    ]
    ages = {r["category"]: r["open"] for r in rows(found["open-action-item-age"])}
    assert ages == {
        "Under a week": 0, "1 to 4 weeks": 1, "1 to 3 months": 0, "3 to 6 months": 0,
        "Over 6 months": 0,
    }  # fmt: skip


def test_time_invested_per_team_and_quarter(manager: User, world: dict[str, Any]) -> None:
    chart = charts(client_for(manager), period="4w")["time-invested"]
    assert rows(chart) == [
        # INC-d: the scribe's role is still held, the incident open: 26 h to now.
        {"category": "No team · 2026 Q1", "roles": 26.0, "writing": 0.0, "reviewing": 0.0,
         "total": 26.0},
        # 3 h (INC-a) + 8 h (INC-b, held to its resolution); writing 70 min;
        # reviewing 25 min.
        {"category": "Payments · 2026 Q1", "roles": 11.0, "writing": 1.2, "reviewing": 0.4,
         "total": 12.6},
    ]  # fmt: skip


def test_filters_narrow_every_chart(manager: User, world: dict[str, Any]) -> None:
    client = client_for(manager)
    by_severity = charts(client, period="4w", severity="2")
    assert [r["total"] for r in rows(by_severity["incidents-by-severity"])] == [0, 1, 0, 0]
    assert rows(by_severity["postmortems-on-time"])[0]["late"] == 1
    assert rows(by_severity["postmortems-on-time"])[0]["on_time"] == 0
    by_team = charts(client, period="4w", team="payments")
    assert [r["total"] for r in rows(by_team["incidents-by-severity"])] == [1, 1, 0, 0]
    by_service = charts(client, period="4w", service="payments")
    assert [r["total"] for r in rows(by_service["incidents-by-type"])] == [1, 1, 0, 0]
    custom = charts(client, since="2026-01-01", until="2026-01-31")
    # Whole weeks from Monday 2025-12-29: INC-e in the week of 2026-01-05.
    assert [r["total"] for r in rows(custom["incidents-by-severity"])] == [0, 1, 0, 0, 0]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "forever"}, "period"),
        ({"severity": "7"}, "severity"),
        ({"type": "volcano"}, "type"),
        ({"team": "ghosts"}, "team"),
        ({"since": "2026-13-01"}, "since"),
        ({"since": "2026-03-01", "until": "2026-02-01"}, "until"),
    ],
)
def test_bad_filters_are_named(manager: User, params: dict[str, str], field: str) -> None:
    client = client_for(manager)
    response = client.get(URL, {**params, "format": "json"})
    assert response.status_code == 422
    assert response.json()["field"] == field
    page = client.get(URL, params)
    assert page.status_code == 400
    assert 'class="field field--error"' in page.content.decode()


def test_csv_of_one_chart(manager: User, world: dict[str, Any]) -> None:
    response = client_for(manager).get(
        URL, {"period": "4w", "chart": "incidents-by-detection"}, HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="insights-incidents-by-detection.csv"' in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines == [
        ["category", "alert", "customer", "total"],
        ["2026-02-23", "1", "0", "1"],
        ["2026-03-02", "0", "1", "1"],
        ["2026-03-09", "0", "0", "0"],
        ["2026-03-16", "1", "0", "1"],
    ]


def test_csv_of_every_chart_is_long(manager: User, world: dict[str, Any]) -> None:
    response = client_for(manager).get(URL, {"period": "4w", "format": "csv"})
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == ["chart", "row", "column", "value"]
    assert ["time-to-resolve", "SEV2", "median", "10.0"] in lines
    assert ["time-invested", "Payments · 2026 Q1", "roles", "11.0"] in lines


def test_an_unknown_chart_is_named(manager: User, world: dict[str, Any]) -> None:
    response = client_for(manager).get(URL, {"format": "csv", "chart": "pie"})
    assert response.status_code == 422
    assert response.json()["field"] == "chart"


def test_numbers_link_to_the_list_behind_them(
    manager: User, admin_user: User, world: dict[str, Any]
) -> None:
    # A second incident for INC-a's outage, merged into it: insights counts
    # the survivor only, and the list behind the number leaves it out too.
    duplicate = Incident.objects.create(
        title="Cards declined", severity=1, status="investigating", type="outage",
        declared_at=at("2026-02-24", "10:05"), updated_at=at("2026-02-24", "10:05"),
    )  # fmt: skip
    merge_incidents(duplicate, actor=admin_user, into=world["a"])
    client = client_for(manager)
    html = client.get(URL, {"period": "4w"}).content.decode()
    link = "/en/incidents/?since=2026-02-23&until=2026-03-01&merged=no&severity=1"
    assert f'<a href="{escape(link)}">1</a>' in html
    listed = client.get(link).content.decode()
    assert "Card payments failing" in listed and "Cards declined" not in listed
    assert "1 incident" in listed
    everything = client.get(link.replace("merged=no", "merged=")).content.decode()
    assert "Cards declined" in everything


def test_an_empty_period_says_so(manager: User) -> None:
    html = client_for(manager).get(URL).content.decode()
    assert "No incidents in this period with these filters." in html
    assert 'role="img"' not in html.replace('aria-hidden="true"', "")


def test_the_page_speaks_french(manager: User, world: dict[str, Any]) -> None:
    html = client_for(manager).get("/fr/insights/", {"period": "4w"}).content.decode()
    assert "Incidents par semaine selon la gravité" in html


def test_the_navigation_shows_insights_only_to_viewers(
    manager: User, responder_client: Client
) -> None:
    assert 'href="/en/insights/"' in client_for(manager).get("/en/").content.decode()
    assert 'href="/en/insights/"' not in responder_client.get("/en/").content.decode()


def test_a_person_granted_directly_sees_the_page(db: None, admin_user: User) -> None:
    from hotwash.insights import services

    olga = create_user("olga", password="correct horse 42", role=Role.VIEWER)
    services.grant_insights(person=olga, actor=admin_user)
    assert client_for(User.objects.get(pk=olga.pk)).get(URL).status_code == 200


def test_a_change_shows_at_the_next_view(
    manager: User, admin_user: User, world: dict[str, Any]
) -> None:
    client = client_for(manager)
    before = rows(charts(client, period="4w")["incidents-by-severity"])[3]
    assert before["4"] == 0
    declare_incident(actor=admin_user, title="Slow search", severity=4)
    after = rows(charts(client, period="4w")["incidents-by-severity"])[3]
    assert after["4"] == 1


def test_the_queries_also_run_with_the_debug_log(manager: User, world: dict[str, Any]) -> None:
    # Django formats each query for its debug log (DEBUG=True, as `make
    # run` has it): a literal % in the SQL must survive that.
    with CaptureQueriesContext(connection) as captured:
        assert client_for(manager).get(URL, {"period": "4w"}).status_code == 200
    assert len(captured.captured_queries) > 10


def test_near_misses_count_and_link_for_reviewers_only(
    manager: User, admin_user: User, world: dict[str, Any]
) -> None:
    file_report(
        author=admin_user, kind="near-miss", text="A deploy nearly hit production.", anonymous=False
    )
    for_manager = charts(client_for(manager), period="4w")["near-misses"]
    assert rows(for_manager) == [
        {"category": "2026-02", "near_miss": 0, "total": 0},
        {"category": "2026-03", "near_miss": 1, "total": 1},
    ]
    manager_html = client_for(manager).get(URL, {"period": "4w"}).content.decode()
    admin_html = client_for(admin_user).get(URL, {"period": "4w"}).content.decode()
    assert 'href="/en/reports/"' not in manager_html
    assert '<a href="/en/reports/">1</a>' in admin_html

"""The themes page: how often each contributing factor recurs, over time,
by service and team, with its action items' progress; only what the reader
may read, only for those who may view insights; tables as CSV and JSON."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.test import Client

from hotwash.accounts.services import create_user
from hotwash.actions.services import create_action_item, set_status
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident, Service
from hotwash.insights.themes import ThemeFilters, buckets, build_themes
from hotwash.postmortems import services as postmortems
from hotwash.postmortems.factors import set_factors
from hotwash.postmortems.models import Postmortem
from hotwash.teams.models import Team

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(TODAY, tick=False):
        yield


def tagged(
    actor: User,
    title: str,
    factors: list[str],
    *,
    days_ago: int,
    services: tuple[str, ...] = ("checkout",),
    private: bool = False,
    type: str | None = None,
    items: tuple[str, ...] = (),
) -> Postmortem:
    """A postmortem of an incident declared `days_ago`, tagged with
    `factors`, with one action item per status in `items`."""
    incident = incidents.declare_incident(
        actor=actor,
        title=title,
        severity=3,
        services=services,
        private=private,
        type=type,
        now=TODAY - timedelta(days=days_ago),
    )
    postmortem = postmortems.create_retrospective(
        actor=actor, title="", kind="incident", incident=incident
    )
    set_factors(postmortem, actor=actor, factors=factors)
    for number, status in enumerate(items):
        item = create_action_item(
            actor=actor,
            title=f"{title} follow-up {number}",
            owner=actor,
            postmortem=postmortem,
            due_on=date(2026, 12, 31),
        )
        if status != "open":
            reason = "Not worth it." if status == "wont_do" else ""
            set_status(item, actor=actor, status=status, reason=reason)
    return postmortem


@pytest.fixture
def world(responder: User) -> dict[str, Postmortem]:
    return {
        "recent": tagged(
            responder,
            "Alerts went nowhere",
            ["monitoring-gap", "vendor quirk"],
            days_ago=10,
            services=("checkout", "payments"),
            items=("done", "done", "open"),
        ),
        "spring": tagged(
            responder,
            "Disk filled",
            ["monitoring-gap", "capacity"],
            days_ago=200,
            items=("done", "wont_do"),
        ),
        "old": tagged(responder, "Long ago", ["monitoring-gap"], days_ago=500, items=("done",)),
    }


def insights_user(username: str = "manon") -> User:
    user = create_user(username, password="correct horse 42")
    user.user_permissions.add(
        Permission.objects.get(codename="view_insights", content_type__app_label="insights")
    )
    return User.objects.get(pk=user.pk)  # the permission cache starts empty


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def theme(found: Any, value: str) -> Any:
    return next(t for t in [*found.factors, *found.free_tags] if t.value == value)


# --- counting ----------------------------------------------------------------------


def test_it_counts_postmortems_per_factor_in_the_period_with_their_action_items(
    admin_user: User, world: dict[str, Postmortem]
) -> None:
    found = build_themes(admin_user, ThemeFilters())
    gap = theme(found, "monitoring-gap")
    assert [row.postmortem for row in gap.postmortems] == [world["recent"], world["spring"]]
    assert (gap.items.total, gap.items.done, gap.items.open, gap.items.wont_do) == (5, 3, 1, 1)
    assert theme(found, "capacity").count == 1
    assert theme(found, "testing").count == 0  # every taxonomy factor is listed
    assert [t.value for t in found.free_tags] == ["vendor quirk"]
    assert [t.value for t in found.tagged] == ["capacity", "monitoring-gap"]  # policy order


def test_the_headline_says_how_often_and_how_far_the_action_items_got(
    admin_user: User, world: dict[str, Postmortem]
) -> None:
    html = client_for(admin_user).get("/en/insights/themes/").content.decode()
    assert "Monitoring gap appeared in 2 postmortems. 3 of its 5 action items are done." in html
    assert "Capacity appeared in 1 postmortem. 1 of its 2 action items is done." in html
    assert "vendor quirk appeared in 1 postmortem. 2 of its 3 action items are done." in html
    assert "Long ago" not in html  # before the period
    assert f'href="/en/postmortems/{world["recent"].pk}/"' in html
    assert f'href="/en/action-items/?postmortem={world["recent"].ref}"' in html
    assert "<caption>How often each contributing factor recurs</caption>" in html
    assert '<th scope="col">Still open</th>' in html


def test_the_period_is_bucketed_by_quarter_or_month(
    admin_user: User, world: dict[str, Postmortem]
) -> None:
    quarters = buckets(TODAY.date(), 12, "quarter")
    assert [b.label for b in quarters] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert quarters[0].start == datetime(2025, 10, 1, tzinfo=UTC)
    assert quarters[-1].end == datetime(2027, 1, 1, tzinfo=UTC)
    months = buckets(TODAY.date(), 12, "month")
    assert [b.label for b in months][:2] == ["2025-12", "2026-01"]
    assert months[-1].label == "2026-11" and len(months) == 12
    found = build_themes(admin_user, ThemeFilters(by="month"))
    # 200 days before 15 November 2026 is 29 April 2026.
    assert theme(found, "monitoring-gap").per_bucket == [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    longer = build_themes(admin_user, ThemeFilters(months=24))
    assert theme(longer, "monitoring-gap").count == 3


def test_it_breaks_factors_down_by_service_and_by_the_teams_that_own_them(
    admin_user: User, world: dict[str, Postmortem]
) -> None:
    team = Team.objects.create(name="Payments team", slug="payments")
    team.services.add(Service.objects.get(name="payments"))
    found = build_themes(admin_user, ThemeFilters())
    assert found.by_service == {
        "checkout": {"monitoring-gap": 2, "vendor quirk": 1, "capacity": 1},
        "payments": {"monitoring-gap": 1, "vendor quirk": 1},
    }
    assert found.by_team == {"Payments team": {"monitoring-gap": 1, "vendor quirk": 1}}
    only_team = build_themes(admin_user, ThemeFilters(team="payments"))
    assert [row.postmortem for row in only_team.postmortems] == [world["recent"]]
    only_service = build_themes(admin_user, ThemeFilters(service="payments"))
    assert [row.postmortem for row in only_service.postmortems] == [world["recent"]]


def test_it_filters_by_incident_type_and_by_factor(
    admin_user: User, responder: User, world: dict[str, Postmortem]
) -> None:
    near_miss = tagged(responder, "Almost", ["testing"], days_ago=5, type="near-miss")
    by_type = build_themes(admin_user, ThemeFilters(type="near-miss"))
    assert [row.postmortem for row in by_type.postmortems] == [near_miss]
    by_tag = build_themes(admin_user, ThemeFilters(factor="VENDOR QUIRK"))
    assert [row.postmortem for row in by_tag.postmortems] == [world["recent"]]
    by_key = build_themes(admin_user, ThemeFilters(factor="capacity"))
    assert [row.postmortem for row in by_key.postmortems] == [world["spring"]]


def test_unknown_filter_values_fall_back_to_the_defaults() -> None:
    parsed = ThemeFilters.parse({"months": "7", "by": "week", "service": " shop "})
    assert (parsed.months, parsed.by, parsed.service) == (12, "quarter", "shop")
    assert ThemeFilters.parse({"months": "soon"}).months == 12


# --- who sees what -----------------------------------------------------------------


def test_a_private_incidents_postmortem_counts_only_for_those_who_can_see_it(
    admin_user: User, responder: User, world: dict[str, Postmortem]
) -> None:
    tagged(responder, "Secret breach", ["monitoring-gap"], days_ago=3, private=True)
    manager = insights_user()
    assert theme(build_themes(manager, ThemeFilters()), "monitoring-gap").count == 2
    assert theme(build_themes(admin_user, ThemeFilters()), "monitoring-gap").count == 3
    page = client_for(manager).get("/en/insights/themes/").content.decode()
    assert "Secret breach" not in page
    assert "Monitoring gap appeared in 2 postmortems." in page
    exported = client_for(manager).get("/en/insights/themes/?format=json").content.decode()
    assert "Secret breach" not in exported


def test_only_admins_and_holders_of_the_permission_see_the_page(
    admin_user: User, responder: User
) -> None:
    anonymous = Client().get("/en/insights/themes/")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert client_for(responder).get("/en/insights/themes/").status_code == 403
    assert client_for(responder).get("/en/insights/themes/?format=csv").status_code == 403
    assert client_for(insights_user()).get("/en/insights/themes/").status_code == 200
    assert client_for(admin_user).get("/en/insights/themes/").status_code == 200


def test_the_page_in_french(admin_user: User, world: dict[str, Postmortem]) -> None:
    html = client_for(admin_user).get("/fr/insights/themes/").content.decode()
    assert "Le facteur « Lacune de supervision » est apparu dans 2 postmortems." in html
    assert "3 de ses 5 actions sont terminées." in html
    assert "T4 2026" in html
    assert '<html lang="fr">' in html


def test_an_empty_period_says_so(admin_user: User) -> None:
    response = client_for(admin_user).get("/en/insights/themes/")
    assert response.status_code == 200
    assert "No postmortem you can read was tagged" in response.content.decode()


# --- CSV and JSON --------------------------------------------------------------------


def test_each_table_downloads_as_csv(admin_user: User, world: dict[str, Postmortem]) -> None:
    client = client_for(admin_user)
    response = client.get("/en/insights/themes/?format=csv&chart=factors")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="themes-factors.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["factor", "postmortems", "action_items", "done", "open", "wont_do"]
    assert ["monitoring-gap", "2", "5", "3", "1", "1"] in rows
    assert ["vendor quirk", "1", "3", "2", "1", "0"] in rows
    # Accept: text/csv gives the same; the default table is the factors one.
    by_header = client.get("/en/insights/themes/", HTTP_ACCEPT="text/csv")
    assert by_header.content == response.content
    over_time = client.get("/en/insights/themes/?format=csv&chart=over-time&by=month")
    lines = list(csv.reader(io.StringIO(over_time.content.decode())))
    assert lines[0] == ["category", "capacity", "monitoring-gap", "total"]
    assert lines[-1] == ["2026-11", "0", "1", "1"]


def test_json_has_every_table_with_the_filters_it_answers(
    admin_user: User, world: dict[str, Postmortem]
) -> None:
    client = client_for(admin_user)
    body = client.get("/en/insights/themes/?format=json&service=checkout").json()
    assert body["filters"] == {"service": "checkout"}
    assert body["period"]["by"] == "quarter"
    names = [chart["name"] for chart in body["charts"]]
    assert names == ["factors", "over-time", "by-service", "by-team", "postmortems"]
    postmortems_table = body["charts"][-1]
    assert [row[0] for row in postmortems_table["rows"]] == [
        world["recent"].ref,
        world["spring"].ref,
    ]
    one = client.get("/en/insights/themes/?format=json&chart=by-service").json()
    assert [chart["name"] for chart in one["charts"]] == ["by-service"]


def test_an_unknown_table_is_422_naming_the_field(admin_user: User) -> None:
    response = client_for(admin_user).get("/en/insights/themes/?format=csv&chart=nope")
    assert response.status_code == 422
    assert response.json()["field"] == "chart"


def test_a_retrospective_counts_by_when_it_was_started_and_its_own_services(
    admin_user: User, responder: User
) -> None:
    retro = postmortems.create_retrospective(
        actor=responder, title="Launch went well", kind="success", services=["shop"]
    )
    set_factors(retro, actor=responder, factors=["communication"])
    found = build_themes(admin_user, ThemeFilters())
    assert theme(found, "communication").count == 1
    assert found.by_service == {"shop": {"communication": 1}}
    assert build_themes(admin_user, ThemeFilters(type="outage")).postmortems == []


def test_an_incident_without_services_is_counted_but_in_no_breakdown(
    admin_user: User, responder: User
) -> None:
    tagged(responder, "Nowhere", ["testing"], days_ago=1, services=())
    found = build_themes(admin_user, ThemeFilters())
    assert theme(found, "testing").count == 1
    assert found.by_service == {} and found.by_team == {}
    assert Incident.objects.count() == 1

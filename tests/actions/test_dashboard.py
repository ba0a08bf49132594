"""The follow-through dashboard: the numbers, medians and percentiles, the
order (what slips first), links to the lists, and a fixed query count."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from hotwash.actions import dashboard, services
from hotwash.actions.models import ActionItem
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident
from hotwash.postmortems.models import Postmortem
from hotwash.teams.models import Team

pytestmark = pytest.mark.django_db

START = datetime.fromisoformat("2026-03-02 09:00:00+00:00")
TODAY = "2026-03-30 12:00:00+00:00"


@pytest.fixture
def incident(responder: User) -> Incident:
    with time_machine.travel(START, tick=False):
        return incidents.declare_incident(actor=responder, title="Checkout fails", severity=3)


def _done_after(actor: User, incident: Incident, days: int, *, due_in: int, **fields: Any) -> None:
    with time_machine.travel(START, tick=False):
        item = services.create_action_item(
            actor=actor,
            title=f"Done after {days} days",
            incident=incident,
            due_on=START.date() + timedelta(days=due_in),
            **fields,
        )
    with time_machine.travel(START + timedelta(days=days), tick=False):
        services.update_action_item(item, actor=actor, changes={"status": "done"})


def _open(actor: User, incident: Incident, *, due_in: int, **fields: Any) -> ActionItem:
    with time_machine.travel(START, tick=False):
        return services.create_action_item(
            actor=actor,
            title=f"Due in {due_in}",
            incident=incident,
            due_on=START.date() + timedelta(days=due_in),
            **fields,
        )


def _postmortem(incident: Incident | None, owner: User, *, due: date, **fields: Any) -> None:
    Postmortem.objects.create(
        incident=incident,
        kind="incident" if incident else "project",
        template="default",
        title="PM",
        owner=owner,
        due_on=due,
        created_at=START,
        updated_at=START,
        **fields,
    )


@pytest.fixture
def scenario(responder: User, other_responder: User, incident: Incident) -> dict[str, Any]:
    payments = Team.objects.create(name="Payments", slug="payments")
    search = Team.objects.create(name="Search", slug="search")
    payments.members.add(responder)
    search.members.add(other_responder)
    # amira (Payments): done after 2, 4 and 10 days, due after 5: two on time.
    for days in (2, 4, 10):
        _done_after(responder, incident, days, due_in=5, owner=responder)
    _open(responder, incident, due_in=3, owner=responder)  # overdue
    _open(responder, incident, due_in=60, owner=responder)  # fine
    # sam (Search): two overdue (one in progress), one done on time after 1 day.
    _open(responder, incident, due_in=1, owner=other_responder)
    late = _open(responder, incident, due_in=2, owner=other_responder)
    with time_machine.travel(START, tick=False):
        services.update_action_item(late, actor=responder, changes={"status": "in_progress"})
    _done_after(responder, incident, 1, due_in=1, owner=other_responder)
    # Won't do: neither open nor done.
    wont = _open(responder, incident, due_in=1, owner=other_responder)
    with time_machine.travel(START, tick=False):
        services.set_status(wont, actor=responder, status="wont_do", reason="Obsolete.")
    # Postmortems: only the required, unapproved, past-due one counts.
    other = incidents.declare_incident(actor=responder, title="Other")
    third = incidents.declare_incident(actor=responder, title="Third")
    _postmortem(incident, other_responder, due=date(2026, 3, 20), required=True)
    _postmortem(other, other_responder, due=date(2026, 3, 20), required=False)
    _postmortem(third, other_responder, due=date(2026, 3, 20), required=True, status="approved")
    return {"payments": payments, "search": search}


def test_the_numbers_per_person_and_per_team(responder: User, scenario: dict[str, Any]) -> None:
    with time_machine.travel(TODAY, tick=False):
        board = dashboard.build(responder, period=None)
    people = {row.key: row for row in board.people}
    amira, sam = people["amira"], people["sam"]
    assert (amira.open, amira.overdue, amira.done) == (2, 1, 3)
    assert amira.on_time_percent == 67
    assert amira.median_days == 4
    # Inclusive percentile of [2, 4, 10]: 4 + 0.8 * (10 - 4).
    assert amira.p90_days == pytest.approx(8.8)
    assert amira.postmortems_overdue == 0
    assert (sam.open, sam.overdue, sam.done, sam.on_time_percent) == (2, 2, 1, 100)
    assert sam.median_days == 1 and sam.p90_days == 1
    assert sam.postmortems_overdue == 1
    # What slips most comes first.
    assert [row.key for row in board.people] == ["sam", "amira"]
    teams = {row.key: row for row in board.teams}
    assert (teams["payments"].open, teams["payments"].overdue, teams["payments"].done) == (2, 1, 3)
    assert (teams["search"].open, teams["search"].overdue) == (2, 2)
    assert teams["search"].postmortems_overdue == 1
    assert [row.key for row in board.teams] == ["search", "payments"]
    assert (board.total.open, board.total.overdue, board.total.done) == (4, 3, 4)
    assert board.total.postmortems_overdue == 1
    assert board.total.median_days == 3  # median of 1, 2, 4, 10


def test_the_period_limits_the_done_figures(responder: User, scenario: dict[str, Any]) -> None:
    with time_machine.travel("2026-04-08 12:00:00+00:00", tick=False):
        board = dashboard.build(responder, period=30)
    people = {row.key: row for row in board.people}
    # Done on 4 and 12 March; 30 days back from 8 April is 9 March.
    assert people["amira"].done == 1 and people["amira"].median_days == 10
    assert people["amira"].open == 2  # open items do not depend on the period


def test_no_figures_without_done_items(responder: User, incident: Incident) -> None:
    _open(responder, incident, due_in=3, owner=responder)
    with time_machine.travel(TODAY, tick=False):
        board = dashboard.build(responder)
    [row] = board.people
    assert row.on_time_percent is None and row.median_days is None and row.p90_days is None
    # The item has no team: it is counted on a "no team" row.
    [team] = board.teams
    assert team.key == "" and team.overdue == 1


def test_private_items_are_left_out_for_outsiders(
    responder: User, other_responder: User, admin_user: User
) -> None:
    secret = incidents.declare_incident(actor=responder, title="Leak", private=True)
    _open(responder, secret, due_in=3, owner=responder)
    with time_machine.travel(TODAY, tick=False):
        assert dashboard.build(other_responder).total.open == 0
        assert dashboard.build(admin_user).total.open == 1


def test_the_page_links_each_number_to_the_list(
    responder_client: Client, scenario: dict[str, Any]
) -> None:
    with time_machine.travel(TODAY, tick=False):
        response = responder_client.get("/en/action-items/dashboard/?period=all")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/en/action-items/?owner=sam&amp;overdue=1">2</a>' in html
    assert '<a href="/en/action-items/?team=payments&amp;status=active">2</a>' in html
    assert '<a href="/en/action-items/?owner=amira&amp;status=done&amp;sort=-updated">3</a>' in html
    assert "67 %" in html
    assert '4.0 <span class="muted">(8.8)</span>' in html
    # Sorted by what slips: sam before amira.
    assert html.index(">Sam<") < html.index(">Amira<")
    # The linked list shows exactly the counted items.
    with time_machine.travel(TODAY, tick=False):
        listed = responder_client.get("/en/action-items/?owner=sam&overdue=1").content.decode()
    assert listed.count('class="ai-row--overdue"') == 2


@pytest.mark.parametrize(
    ("language", "query", "selected", "heading"),
    [
        ("en", "", "90", "Follow-through: the last 90 days"),
        ("en", "?period=30", "30", "Follow-through: the last 30 days"),
        ("en", "?period=all", "all", "Follow-through: all time"),
        ("fr", "", "90", "Suivi des actions : les 90 derniers jours"),
        ("fr", "?period=365", "365", "Suivi des actions : les 365 derniers jours"),
        ("fr", "?period=all", "all", "Suivi des actions : depuis le début"),
    ],
)
def test_the_page_shows_which_period_is_selected(
    responder_client: Client, language: str, query: str, selected: str, heading: str
) -> None:
    html = responder_client.get(f"/{language}/action-items/dashboard/{query}").content.decode()
    assert f"<h1>{heading}</h1>" in html
    current = re.findall(r'href="\?period=(\w+)" aria-current="page"', html)
    assert current == [selected]


def test_the_selected_period_looks_pressed() -> None:
    css = (Path(dashboard.__file__).parent / "static/actions/actions.css").read_text()
    assert '.ai-period a[aria-current="page"]' in css


def test_the_page_costs_a_fixed_number_of_queries(
    responder_client: Client,
    scenario: dict[str, Any],
    responder: User,
    incident: Incident,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    with time_machine.travel(TODAY, tick=False):
        with django_assert_max_num_queries(14) as first:
            responder_client.get("/en/action-items/dashboard/")
        team = Team.objects.create(name="More", slug="more")
        for number in range(10):
            _done_after(responder, incident, number, due_in=5, owner=responder, team=team)
        with django_assert_max_num_queries(len(first.captured_queries)):
            responder_client.get("/en/action-items/dashboard/")


def test_parse_period() -> None:
    assert dashboard.parse_period(None) == 90
    assert dashboard.parse_period("30") == 30
    assert dashboard.parse_period("all") is None
    assert dashboard.parse_period("7") == 90
    assert dashboard.parse_period("x") == 90


def test_percentile_and_median() -> None:
    assert dashboard.median([]) is None
    assert dashboard.median([1.0, 3.0]) == 2
    assert dashboard.percentile([5.0], 90) == 5
    assert dashboard.percentile([float(n) for n in range(1, 11)], 90) == pytest.approx(9.1)

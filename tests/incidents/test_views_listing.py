"""The incident list: filters, sorting, pages, and a fixed query count."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hotwash.incidents import services
from hotwash.incidents.models import Incident
from hotwash.incidents.views import listing as listing_module

pytestmark = pytest.mark.django_db


def titles(html: str) -> list[str]:
    return re.findall(r'class="incidents__title"><a href="[^"]+">([^<]+)</a>', html)


def listing(client: Client, query: str = "", status: int = 200) -> str:
    response = client.get(f"/en/incidents/{query}")
    assert response.status_code == status
    return response.content.decode()


@pytest.fixture
def incidents(responder: User) -> dict[str, Incident]:
    made = {}
    with time_machine.travel("2026-11-20 10:00:00+00:00", tick=False) as clock:
        for title, severity, service in [
            ("Search is slow", 3, "search"),
            ("Shop down", 1, "shop"),
            ("Exports are empty", 2, "exports"),
        ]:
            made[title] = services.declare_incident(
                actor=responder, title=title, severity=severity, services=[service]
            )
            clock.shift(86400)
    services.set_status(made["Search is slow"], actor=responder, status="resolved")
    return made


def test_it_lists_newest_first_with_severity_status_services_and_zone(
    responder_client: Client, incidents: dict[str, Incident]
) -> None:
    html = listing(responder_client)
    assert titles(html) == ["Exports are empty", "Shop down", "Search is slow"]
    assert "3 incidents" in html
    assert "2026-11-22 10:00:00 UTC" in html
    assert "SEV1" in html and "Resolved" in html and "exports" in html
    assert '<th scope="col" role="columnheader">Severity</th>' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=open", ["Exports are empty", "Shop down"]),
        ("?status=resolved", ["Search is slow"]),
        ("?severity=1", ["Shop down"]),
        ("?severity=SEV2", ["Exports are empty"]),
        ("?service=SHOP", ["Shop down"]),
        ("?q=slow", ["Search is slow"]),
        ("?since=2026-11-21", ["Exports are empty", "Shop down"]),
        ("?until=2026-11-21", ["Shop down", "Search is slow"]),
        ("?since=2026-11-21&until=2026-11-21", ["Shop down"]),
        ("?sort=declared", ["Search is slow", "Shop down", "Exports are empty"]),
        ("?sort=severity", ["Shop down", "Exports are empty", "Search is slow"]),
        ("?sort=-updated", ["Search is slow", "Exports are empty", "Shop down"]),
    ],
)
def test_it_filters_and_sorts(
    responder_client: Client, incidents: dict[str, Incident], query: str, expected: list[str]
) -> None:
    assert titles(listing(responder_client, query)) == expected


def test_the_filter_form_keeps_what_was_asked(
    responder_client: Client, incidents: dict[str, Incident]
) -> None:
    html = listing(responder_client, "?status=open&q=shop&sort=severity")
    assert '<option value="open" selected>' in html
    assert 'name="q" value="shop"' in html
    assert '<option value="severity" selected>' in html
    assert "Clear filters" in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?severity=9", "severity", "Unknown severity 9"),
        ("?status=exploded", "status", "Unknown status exploded."),
        ("?since=yesterday", "since", "yesterday is not a date"),
        ("?sort=random", "sort", "Unknown sort random"),
    ],
)
def test_a_bad_filter_value_is_a_form_error(
    responder_client: Client,
    incidents: dict[str, Incident],
    query: str,
    field: str,
    message: str,
) -> None:
    html = listing(responder_client, query, status=400)
    assert message in html
    assert f'id="filter_{field}_error"' in html
    assert f'href="#filter_{field}"' in html
    assert titles(html) == []


def test_it_pages_by_fifty_and_keeps_filters_in_page_links(
    responder_client: Client, responder: User
) -> None:
    for n in range(120):
        services.declare_incident(actor=responder, title=f"Blip {n}", severity=4)
    services.declare_incident(actor=responder, title="Other", severity=1)
    first = listing(responder_client, "?severity=4&sort=declared")
    assert titles(first)[:2] == ["Blip 0", "Blip 1"]
    assert len(titles(first)) == 50
    assert "120 incidents" in first
    assert 'href="?severity=4&amp;sort=declared&amp;page=2"' in first
    assert 'href="?severity=4&amp;sort=declared&amp;page=3"' in first
    last = listing(responder_client, "?severity=4&sort=declared&page=3")
    assert titles(last) == [f"Blip {n}" for n in range(100, 120)]
    assert 'aria-current="page">3</a>' in last
    # A page that does not exist shows the last one rather than failing.
    assert titles(listing(responder_client, "?severity=4&sort=declared&page=99"))[-1] == "Blip 119"


def test_private_incidents_are_listed_only_for_participants_and_admins(
    responder: User, other_responder: User, admin_user: User
) -> None:
    services.declare_incident(actor=responder, title="Leaked key", private=True)
    services.declare_incident(actor=responder, title="Slow search")
    for user, expected in [
        (responder, ["Leaked key", "Slow search"]),
        (other_responder, ["Slow search"]),
        (admin_user, ["Leaked key", "Slow search"]),
    ]:
        client = Client()
        client.force_login(user)
        assert sorted(titles(listing(client))) == expected
        assert "Leaked key" not in listing(client, "?q=Slow")
    outsider = Client()
    outsider.force_login(other_responder)
    searched = listing(outsider, "?q=Leaked")
    assert titles(searched) == []
    assert "0 incidents" in searched


def test_the_number_of_queries_does_not_grow_with_the_rows(
    responder_client: Client, responder: User
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            listing(responder_client)
        return len(captured)

    for n in range(3):
        services.declare_incident(actor=responder, title=f"a{n}", services=["x", "y"])
    few = queries()
    for n in range(40):
        services.declare_incident(actor=responder, title=f"b{n}", services=[f"s{n}", "y"])
    assert queries() == few


def test_past_a_cap_it_says_more_than_instead_of_counting_everything(
    responder_client: Client, responder: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing_module, "COUNT_CAP", 5)
    monkeypatch.setattr(listing_module, "PER_PAGE", 2)
    for n in range(8):
        services.declare_incident(actor=responder, title=f"Blip {n}")
    html = listing(responder_client)
    assert "More than 5 incidents" in html
    assert 'href="?page=3"' in html
    assert len(titles(html)) == 2

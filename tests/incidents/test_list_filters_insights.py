"""The incident list's team, trigger, detection, service and merged filters: on the page, in
the API, and in agreement with the insights figures that link to them.

The world (all declared in March 2026, the clock on Wednesday 03-18):
  A  payments + ledger  alert     declared by a DOWNTIME firing
  B  payments           customer  opened by accepting a DATA_LOSS proposal
  C  search             staff     declared by a person; a DOWNTIME firing
                                  only joined it afterwards
  D  (no service)       (none)    declared by a MONITORING_FAILURE firing, and
                                  a DATA_LOSS proposal accepted for it too
                                  (the firing that declared it wins)
  E  payments           alert     declared by a DOWNTIME firing; PRIVATE
Teams: Payments owns payments and ledger; Search owns search.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.incidents.linking import merge_incidents
from hotwash.incidents.models import Incident, Service
from hotwash.teams.models import Team
from hotwash.triggers.models import (
    Action,
    Mode,
    PolicyFiring,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Trigger,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
API = "/api/v1/incidents"


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _incident(title: str, day: int, services: list[Service], **fields: Any) -> Incident:
    declared = datetime(2026, 3, day, 10, 0, tzinfo=UTC)
    incident = Incident.objects.create(
        title=title, severity=2, declared_at=declared, updated_at=declared, **fields
    )
    incident.services.set(services)
    return incident


def _firing(incident: Incident, trigger: str, action: str, key: str) -> PolicyFiring:
    return PolicyFiring.objects.create(
        policy_id=f"policy-{key}", trigger=trigger, mode=Mode.DECLARE, action=action,
        key=key, fired_at=incident.declared_at, incident=incident,
    )  # fmt: skip


def _accepted_proposal(incident: Incident, trigger: str, key: str) -> None:
    firing = _firing(incident, trigger, Action.PROPOSED, key)
    firing.incident = None  # a declare proposal's firing precedes the incident
    firing.save()
    Proposal.objects.create(
        firing=firing, kind=ProposalKind.DECLARE, status=ProposalStatus.ACCEPTED,
        title=incident.title, incident=incident, created_at=incident.declared_at,
        decided_at=incident.declared_at,
    )  # fmt: skip


@pytest.fixture
def world(db: None) -> dict[str, Incident]:
    payments = Service.objects.create(name="payments")
    ledger = Service.objects.create(name="ledger")
    search = Service.objects.create(name="search")
    Team.objects.create(name="Payments", slug="payments").services.add(payments, ledger)
    Team.objects.create(name="Search", slug="search").services.add(search)
    a = _incident("A payments down", 2, [payments, ledger], detection_source="alert")
    b = _incident("B refunds lost", 3, [payments], detection_source="customer")
    c = _incident("C search slow", 9, [search], detection_source="staff")
    d = _incident("D checkout errors", 10, [], detection_source="")
    e = _incident("E card data", 16, [payments], detection_source="alert", private=True)
    _firing(a, Trigger.DOWNTIME, Action.DECLARED, "a")
    _accepted_proposal(b, Trigger.DATA_LOSS, "b")
    _firing(c, Trigger.DOWNTIME, Action.JOINED, "c")
    _firing(d, Trigger.MONITORING_FAILURE, Action.DECLARED, "d")
    _accepted_proposal(d, Trigger.DATA_LOSS, "d2")
    _firing(e, Trigger.DOWNTIME, Action.DECLARED, "e")
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def titles(html: str) -> list[str]:
    return re.findall(r'class="incidents__title"><a href="[^"]+">([^<]+)</a>', html)


def page_letters(client: Client, query: str, status: int = 200) -> str:
    response = client.get(f"/en/incidents/?sort=declared&{query}")
    assert response.status_code == status, response.content
    return "".join(title[0] for title in titles(response.content.decode()))


def api_letters(client: Client, query: str) -> str:
    response = client.get(f"{API}?sort=declared&{query}")
    assert response.status_code == 200, response.content
    return "".join(item["title"][0] for item in response.json()["items"])


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def admin_api(admin_user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(admin_user, name='t')}")


FILTERS = [
    # The team's incidents, each once (A has two of its services).
    ("team=payments", "ABE"),
    ("team=search", "C"),
    # Opened by a trigger: declared by a firing, or by accepting its proposal
    # unless a firing declared the incident (D); a firing that only joined
    # an open incident (C) did not open it.
    ("trigger=downtime", "AE"),
    ("trigger=data_loss", "B"),
    ("trigger=monitoring_failure", "D"),
    ("trigger=none", "C"),
    ("trigger=data_loss,monitoring_failure", "BD"),
    ("detection=alert", "AE"),
    ("detection=customer&detection=staff", "BC"),
    ("detection=none", "D"),
    # Without a service, as the insights' "No service" series counts them.
    ("service=none", "D"),
    ("team=payments&trigger=downtime&detection=alert", "AE"),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_each_filter_narrows_the_page(
    admin_client: Client, world: dict[str, Incident], query: str, expected: str
) -> None:
    assert page_letters(admin_client, query) == expected


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_each_filter_narrows_the_api_list(
    admin_api: Client, world: dict[str, Incident], query: str, expected: str
) -> None:
    assert api_letters(admin_api, query) == expected


def test_the_filters_apply_on_top_of_the_readers_visibility(
    responder_client: Client, api: Client, world: dict[str, Incident]
) -> None:
    # E is private and the responder takes no part in it.
    assert page_letters(responder_client, "trigger=downtime") == "A"
    assert page_letters(responder_client, "team=payments&detection=alert") == "A"
    assert api_letters(api, "trigger=downtime") == "A"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("team=nobody", "team", "Unknown team nobody."),
        ("trigger=gremlins", "trigger", "Unknown trigger gremlins"),
        ("detection=psychic", "detection", "Unknown detection source psychic"),
        ("merged=maybe", "merged", "Unknown value maybe for merged duplicates"),
    ],
)
def test_a_bad_value_is_a_form_error_and_a_422_naming_the_parameter(
    admin_client: Client,
    admin_api: Client,
    world: dict[str, Incident],
    query: str,
    field: str,
    message: str,
) -> None:
    response = admin_client.get(f"/en/incidents/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'id="filter_{field}_error"' in html
    assert titles(html) == []
    answer = admin_api.get(f"{API}?{query}")
    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert message in answer.json()["message"]


def test_the_form_offers_labelled_choices_and_keeps_the_chosen_ones(
    admin_client: Client, world: dict[str, Incident]
) -> None:
    html = admin_client.get("/en/incidents/?team=search&trigger=none&detection=alert").content
    page = html.decode()
    assert '<label for="filter_team">Team</label>' in page
    assert '<label for="filter_trigger">Opened by</label>' in page
    assert '<label for="filter_detection">Detected by</label>' in page
    assert '<option value="search" selected>Search</option>' in page
    assert '<option value="payments">Payments</option>' in page
    assert '<option value="none" selected>A person (no trigger policy)</option>' in page
    assert "Trigger policy: Downtime or degradation" in page
    assert '<option value="alert" selected>Alert</option>' in page
    assert '<option value="none">Not recorded</option>' in page
    assert "Clear filters" in page


def test_the_api_documents_the_three_parameters(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    parameters = {
        parameter["name"]: parameter for parameter in schema["paths"][API]["get"]["parameters"]
    }
    for name in ("team", "trigger", "detection", "merged"):
        assert parameters[name]["description"]
    assert "downtime" in parameters["trigger"]["schema"]["items"]["enum"]
    assert "none" in parameters["detection"]["schema"]["items"]["enum"]
    assert parameters["merged"]["schema"]["enum"] == ["yes", "no"]


@pytest.fixture
def duplicate(world: dict[str, Incident], admin_user: User) -> Incident:
    """F: a second incident for A's outage, declared minutes later (a
    payments alert too), merged into A."""
    payments = Service.objects.get(name="payments")
    f = _incident("F cards declined", 2, [payments], detection_source="alert")
    return merge_incidents(f, actor=admin_user, into=world["a"]) and f


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", "AFBCDE"), ("merged=no", "ABCDE"), ("merged=yes", "F"), ("merged=yes&team=search", "")],
)
def test_merged_duplicates_can_be_left_out_or_listed_alone(
    admin_client: Client,
    admin_api: Client,
    duplicate: Incident,
    query: str,
    expected: str,
) -> None:
    assert page_letters(admin_client, query) == expected
    assert api_letters(admin_api, query) == expected


# --- agreement with the insights page ----------------------------------------

LINK = re.compile(r'<a href="(/en/incidents/\?[^"]+)">(\d+)</a>')


def _links(client: Client, query: str) -> list[tuple[str, int]]:
    response = client.get(f"/en/insights/?{query}")
    assert response.status_code == 200, response.content
    html = response.content.decode().replace("&amp;", "&")
    return [(href, int(number)) for href, number in LINK.findall(html)]


def _listed(client: Client, href: str) -> int:
    return len(titles(client.get(href).content.decode()))


@pytest.mark.parametrize(
    ("insights_query", "parameter"),
    [
        ("period=4w&team=payments", "team"),
        ("period=4w", "trigger"),
        ("period=4w", "detection"),
        ("period=4w", "service"),
    ],
)
def test_every_insights_number_matches_the_list_it_links_to(
    admin_client: Client, world: dict[str, Incident], insights_query: str, parameter: str
) -> None:
    links = [
        (href, count)
        for href, count in _links(admin_client, insights_query)
        if parameter in parse_qs(urlsplit(href).query)
    ]
    assert links, f"no insights link carries {parameter}"
    for href, count in links:
        assert _listed(admin_client, href) == count, href


def test_a_merged_duplicate_counts_in_no_number_nor_in_the_list_behind_it(
    admin_client: Client, duplicate: Incident
) -> None:
    links = _links(admin_client, "period=4w")
    assert links
    for href, count in links:
        assert parse_qs(urlsplit(href).query)["merged"] == ["no"], href
        assert _listed(admin_client, href) == count, href


def test_the_insights_json_counts_match_the_filtered_lists(
    admin_client: Client, world: dict[str, Incident], duplicate: Incident
) -> None:
    response = admin_client.get("/en/insights/", {"period": "4w", "format": "json"})
    assert response.status_code == 200, response.content
    charts = {chart["name"]: chart for chart in response.json()["charts"]}
    since, until = "2026-02-23", "2026-03-22"
    for name, parameter in (
        ("incidents-by-trigger", "trigger"),
        ("incidents-by-detection", "detection"),
    ):
        chart = charts[name]
        totals: dict[str, int] = {}
        for row in chart["rows"]:
            # Columns: the week, one per series, then the week's total.
            for key, value in zip(chart["columns"][1:-1], row[1:-1], strict=True):
                totals[key] = totals.get(key, 0) + int(value or 0)
        assert sum(totals.values()) == 5
        for key, total in totals.items():
            # "none" is the JSON's name for the series without a value
            # (declared by a person, detection not recorded): the lists' too.
            listed = _listed(
                admin_client,
                f"/en/incidents/?since={since}&until={until}&merged=no&{parameter}={key}",
            )
            assert listed == total, (name, key)

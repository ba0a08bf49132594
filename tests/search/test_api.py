"""GET /api/v1/search and GET /api/v1/incidents/{ref}/similar."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.incidents.services import add_timeline_event, declare_incident

pytestmark = pytest.mark.django_db


def test_it_answers_a_page_of_ranked_results(api: Client, responder: User) -> None:
    first = declare_incident(actor=responder, title="Paiement refusé")
    second = declare_incident(actor=responder, title="Boutique lente")
    add_timeline_event(second, actor=responder, body="Quelques paiements en échec.")

    answer = api.get("/api/v1/search", {"q": "paiements"}).json()

    assert [item["ref"] for item in answer["items"]] == [first.ref, second.ref]
    item = answer["items"][1]
    assert item["kind"] == "incident" and item["incident"] == second.ref
    assert "<mark>paiements</mark>" in item["snippet"]
    assert item["url"] == f"http://testserver/en/incidents/{second.ref}/"
    assert item["type"] == "outage"
    assert answer["count"] == 2 and answer["count_exact"] is True
    assert answer["next"] is None and answer["previous"] is None


def test_it_pages(api: Client, responder: User) -> None:
    for n in range(3):
        declare_incident(actor=responder, title=f"Disk full {n}")

    first = api.get("/api/v1/search", {"q": "disk", "per_page": "2"}).json()
    second = api.get(first["next"]).json()

    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert second["previous"] and second["next"] is None


def test_filters_are_parameters(api: Client, responder: User) -> None:
    incident = declare_incident(actor=responder, title="Disk full")

    def refs(**params: str) -> list[str]:
        return [
            i["ref"] for i in api.get("/api/v1/search", {"q": "disk", **params}).json()["items"]
        ]

    assert refs(kind="incident,postmortem") == [incident.ref]
    assert refs(kind="action_item") == []
    assert refs(type="outage") == [incident.ref]
    assert refs(type="near-miss") == []
    assert refs(since="2000-01-01", until="2999-12-31") == [incident.ref]
    assert refs(until="2000-01-01") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x", "kind": "tweet"}, "kind"),
        ({"q": "x", "since": "yesterday"}, "since"),
        ({"q": "x", "until": "2026-02-30"}, "until"),
        ({"q": "x", "since": "2026-05-02", "until": "2026-05-01"}, "until"),
        ({"q": "x", "type": "volcano"}, "type"),
        ({"q": "x", "page": "0"}, "page"),
        ({"q": "x", "per_page": "500"}, "per_page"),
        ({}, "q"),
    ],
)
def test_bad_parameters_are_422_naming_them(
    api: Client, params: dict[str, str], field: str
) -> None:
    response = api.get("/api/v1/search", params)

    assert response.status_code == 422, response.content
    assert field in response.content.decode()


# --- similar ---------------------------------------------------------------------


def test_similar_is_404_for_an_incident_you_cannot_see(
    responder: User, other_responder: User
) -> None:
    private = declare_incident(actor=responder, title="Payroll leak", private=True)
    outsider = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(other_responder)}")

    assert outsider.get(f"/api/v1/incidents/{private.ref}/similar").status_code == 404
    assert outsider.get("/api/v1/incidents/INC-99999/similar").status_code == 404


def test_similar_answers_earlier_incidents_like_this_one(api: Client, responder: User) -> None:
    earlier = declare_incident(actor=responder, title="Checkout payments failing")
    declare_incident(actor=responder, title="Printer jammed")
    now = declare_incident(actor=responder, title="Payments failing at checkout again")

    answer = api.get(f"/api/v1/incidents/{now.ref}/similar").json()

    assert [item["id"] for item in answer["items"]] == [earlier.ref]
    assert answer["items"][0]["lessons"] == [] and answer["items"][0]["postmortem"] is None

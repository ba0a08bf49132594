"""The service catalog API: GET/POST /api/v1/services, GET/PATCH
/api/v1/services/{name}; clear 4xx, nothing changed on failure."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Service
from hotwash.teams.models import Team

pytestmark = pytest.mark.django_db

URL = "/api/v1/services"


def token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)}")


def post(client: Client, data: Any) -> Any:
    return client.post(URL, data, content_type="application/json")


def patch(client: Client, name: str, data: Any) -> Any:
    return client.patch(f"{URL}/{name}", data, content_type="application/json")


SHOP = {
    "name": "shop",
    "description": "The online shop.",
    "owners": ["platform"],
    "escalation_contact": "Storefront on-call",
    "runbooks": [{"title": "Restart", "url": "https://wiki.example.org/shop"}],
    "chat_channel": "#shop",
    "public": True,
    "public_name": "Online shop",
}


def test_a_responder_adds_a_service(api: Client, platform: Team) -> None:
    response = post(api, SHOP)
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "shop"
    assert body["owners"] == [
        {
            "slug": "platform",
            "name": "Platform",
            "email": "platform@example.org",
            "chat_channel": "#platform",
        }
    ]
    assert body["runbooks"] == SHOP["runbooks"]
    assert (body["public"], body["public_name"]) == (True, "Online shop")
    assert body["url"] == "http://testserver/en/services/shop/"
    assert AuditRecord.objects.filter(action="service.created").count() == 1


@pytest.mark.parametrize(
    ("change", "status", "field", "words"),
    [
        ({"owners": ["platform", "ghosts"]}, 422, "owners", "ghosts"),
        ({"runbooks": [{"title": "X", "url": "javascript:alert(1)"}]}, 422, "runbooks", "http"),
        ({"runbooks": [{"title": "", "url": "https://a.example"}]}, 422, "runbooks", "title"),
        ({"runbooks": [{"url": "https://a.example"}]}, 422, "runbooks", "title"),
        ({"name": ""}, 422, "name", "name"),
        ({"public": "sometimes"}, 422, "public", "public"),
        ({"colour": "blue"}, 422, "colour", "colour"),
        ({"name": "payments API"}, 409, "name", "already"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(
    api: Client,
    payments: Service,
    change: dict[str, Any],
    status: int,
    field: str,
    words: str,
) -> None:
    response = post(api, {**SHOP, **change})
    assert response.status_code == status, response.content
    body = response.json()
    assert body["field"] == field
    assert words in body["message"]
    assert Service.objects.count() == 1
    assert (
        not AuditRecord.objects.filter(action="service.created")
        .exclude(object_id=str(payments.pk))
        .exists()
    )


def test_a_viewer_reads_but_cannot_add(viewer: User, payments: Service) -> None:
    client = token_client(viewer)
    assert post(client, SHOP).status_code == 403
    listing = client.get(URL)
    assert listing.status_code == 200
    assert [item["name"] for item in listing.json()["items"]] == ["payments API"]


def test_the_list_filters_by_team_and_text(
    api: Client, payments: Service, storefront: Team
) -> None:
    Service.objects.create(name="search").teams.add(storefront)
    assert [i["name"] for i in api.get(URL, {"team": "storefront"}).json()["items"]] == ["search"]
    assert [i["name"] for i in api.get(URL, {"q": "card"}).json()["items"]] == ["payments API"]
    unknown = api.get(URL, {"team": "ghosts"})
    assert unknown.status_code == 422
    assert "ghosts" in unknown.json()["message"]


def test_one_service_by_name(api: Client, payments: Service) -> None:
    response = api.get(f"{URL}/payments%20API")
    assert response.status_code == 200
    assert response.json()["escalation_contact"] == "Platform on-call"
    Service.objects.create(name="eu/shop")
    assert api.get(f"{URL}/eu/shop").json()["name"] == "eu/shop"
    missing = api.get(f"{URL}/nothing")
    assert missing.status_code == 404
    assert missing.json()["message"] == "No service named nothing."


def test_anonymous_callers_are_refused(payments: Service) -> None:
    assert Client().get(URL).status_code == 401


def test_patch_changes_only_what_is_sent(api: Client, payments: Service) -> None:
    response = patch(api, "payments%20API", {"chat_channel": "#pay", "public": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["chat_channel"], body["public"]) == ("#pay", True)
    assert body["description"] == "Takes card payments."
    record = AuditRecord.objects.get(action="service.updated")
    assert set(record.changes) == {"chat_channel", "public"}


def test_patch_with_a_bad_field_changes_nothing(api: Client, payments: Service) -> None:
    response = patch(
        api,
        "payments%20API",
        {"description": "New", "runbooks": [{"title": "X", "url": "ftp://x.example"}]},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "runbooks"
    payments.refresh_from_db()
    assert payments.description == "Takes card payments."
    unknown = patch(api, "payments%20API", {"owners": ["ghosts"]})
    assert unknown.status_code == 422
    assert "ghosts" in unknown.json()["message"]
    assert not AuditRecord.objects.filter(action="service.updated").exists()


def test_patch_by_someone_outside_the_owning_team_is_forbidden(
    other_responder: User, viewer: User, payments: Service
) -> None:
    for user in (other_responder, viewer):
        response = patch(token_client(user), "payments%20API", {"description": "Mine"})
        assert response.status_code == 403
    payments.refresh_from_db()
    assert payments.description == "Takes card payments."


def test_patch_renames(api: Client, payments: Service) -> None:
    response = patch(api, "payments%20API", {"name": "payments"})
    assert response.json()["url"].endswith("/en/services/payments/")
    assert api.get(f"{URL}/payments").status_code == 200


def test_adding_a_service_only_private_incidents_named_does_not_tell_of_them(
    responder: User, other_responder: User
) -> None:
    incidents.declare_incident(
        actor=responder, title="Payroll leak", services=["payroll-export"], private=True
    )
    outsider = token_client(other_responder)
    assert outsider.get(f"{URL}/payroll-export").status_code == 404
    assert [i["name"] for i in outsider.get(URL).json()["items"]] == []
    # Not "already exists": it joins the catalog as if new, and stays there.
    response = post(outsider, {"name": "payroll-export"})
    assert response.status_code == 201, response.content
    assert outsider.get(f"{URL}/payroll-export").status_code == 200
    assert Service.objects.filter(name="payroll-export").count() == 1
    # For someone who can see it, the name is taken.
    assert post(token_client(responder), {"name": "payroll-export"}).status_code == 409

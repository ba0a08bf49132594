"""GET /api/v1/audit: admins read and filter the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.core.models import AuditRecord
from hotwash.incidents import services

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit"
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)}")


@pytest.fixture
def admin_api(admin_user: User) -> Client:
    return _client(admin_user)


@pytest.fixture
def history(responder: User, other_responder: User) -> dict[str, Any]:
    """Three days of changes by two people."""
    with time_machine.travel(START, tick=False) as clock:
        first = services.declare_incident(actor=responder, title="Checkout fails")
        clock.shift(timedelta(days=1))
        second = services.declare_incident(actor=other_responder, title="Search slow")
        clock.shift(timedelta(days=1))
        services.update_incident(first, actor=other_responder, changes={"severity": 1})
    return {"first": first, "second": second}


def _items(client: Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_admins_read_the_trail_newest_first(admin_api: Client, history: dict[str, Any]) -> None:
    response = admin_api.get(URL)
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"items", "count", "count_exact", "page", "per_page", "next", "previous"}
    items = data["items"]
    assert data["count"] == len(items) == AuditRecord.objects.count()
    times = [datetime.fromisoformat(item["at"]) for item in items]
    assert times == sorted(times, reverse=True)
    declared = next(
        item for item in items if item["actor"] == "sam" and item["action"] == "incident.declared"
    )
    assert set(declared) == {"id", "at", "actor", "action", "object_type", "object_id", "changes"}
    assert declared["object_type"] == "incidents.incident"
    assert declared["object_id"] == str(history["second"].pk)
    assert declared["at"] == "2026-11-27T09:00:00Z"


def test_times_are_in_the_callers_zone(admin_user: User, history: dict[str, Any]) -> None:
    admin_user.profile.timezone = "Asia/Tokyo"
    admin_user.profile.save()
    items = _items(_client(admin_user), actor="sam", action="incident.declared")
    assert [item["at"] for item in items] == ["2026-11-27T18:00:00+09:00"]


def test_filter_by_who_what_and_object(admin_api: Client, history: dict[str, Any]) -> None:
    by_sam = _items(admin_api, actor="sam")
    assert by_sam and {item["actor"] for item in by_sam} == {"sam"}
    declared = _items(admin_api, action="incident.declared")
    assert {item["object_id"] for item in declared} == {
        str(history["first"].pk),
        str(history["second"].pk),
    }
    first = history["first"]
    about_first = _items(admin_api, object_type="incidents.incident", object_id=str(first.pk))
    assert {item["object_id"] for item in about_first} == {str(first.pk)}
    assert {item["actor"] for item in about_first} == {"amira", "sam"}
    all_incident_actions = _items(admin_api, action="incident.*")
    assert {item["action"] for item in all_incident_actions} >= {"incident.declared"}
    assert all(item["action"].startswith("incident.") for item in all_incident_actions)
    assert _items(admin_api, actor="nobody") == []


def test_filter_by_time(admin_api: Client, history: dict[str, Any]) -> None:
    def actions(**params: str) -> set[tuple[str | None, str]]:
        return {
            (item["actor"], item["action"])
            for item in _items(admin_api, **params)
            if item["action"].startswith("incident.")
        }

    # Days are the caller's (UTC here), both ends included.
    assert actions(since="2026-11-27", until="2026-11-27") == {("sam", "incident.declared")}
    assert ("amira", "incident.declared") not in actions(since="2026-11-27")
    assert actions(until="2026-11-26") == {("amira", "incident.declared")}
    # Or exact times, with their zone.
    assert actions(since="2026-11-28T08:59:59+00:00") == actions(since="2026-11-28")
    assert actions(until="2026-11-27T09:00:00Z") == {
        ("amira", "incident.declared"),
        ("sam", "incident.declared"),
    }
    assert actions(until="2026-11-27T08:59:59Z") == {("amira", "incident.declared")}
    # Far ends of the calendar are no error.
    assert actions(until="9999-12-31") == actions()
    assert actions(since="0001-01-01") == actions()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"until": "2026-11-27T09:00:00"}, "until"),  # a time without its zone
        ({"since": "0001-01-01T00:00:00+14:00"}, "since"),
        ({"actor": "sam\x00"}, "actor"),
        ({"page": "0"}, "page"),
        ({"page": "9223372036854775807"}, "page"),
        ({"per_page": "201"}, "per_page"),
    ],
)
def test_bad_filters_are_a_clear_422(
    admin_api: Client, history: dict[str, Any], params: dict[str, str], field: str
) -> None:
    response = admin_api.get(URL, params)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field


def test_pages(admin_api: Client, history: dict[str, Any]) -> None:
    total = AuditRecord.objects.count()
    assert total > 2
    first = admin_api.get(URL, {"per_page": 2}).json()
    assert len(first["items"]) == 2
    assert first["count"] == total
    assert first["previous"] is None
    assert first["next"].endswith("/api/v1/audit?per_page=2&page=2")
    second = admin_api.get(first["next"]).json()
    assert {item["id"] for item in second["items"]}.isdisjoint(
        {item["id"] for item in first["items"]}
    )
    assert second["previous"] is not None


def test_sign_ins_are_in_the_trail(admin_api: Client, responder: User) -> None:
    Client().post(
        "/en/accounts/login/", {"username": "amira", "password": "nope"}, REMOTE_ADDR="10.1.2.3"
    )
    Client().post(
        "/en/accounts/login/",
        {"username": "amira", "password": "correct horse 42"},
        REMOTE_ADDR="10.1.2.3",
    )
    failed = _items(admin_api, action="auth.login_failed")
    assert [(item["actor"], item["changes"]["username"]) for item in failed] == [(None, "amira")]
    assert failed[0]["changes"]["address"] == "10.1.2.3"
    assert (failed[0]["object_type"], failed[0]["object_id"]) == ("auth.user", str(responder.pk))
    signed_in = _items(admin_api, action="auth.logged_in", actor="amira")
    assert len(signed_in) == 1
    assert "nope" not in str(_items(admin_api))


def test_only_admins(
    history: dict[str, Any], responder: User, viewer: User, admin_user: User
) -> None:
    for user in (responder, viewer):
        response = _client(user).get(URL)
        assert response.status_code == 403
        assert "admin" in response.json()["message"]
        session = Client()
        session.force_login(user)
        assert session.get(URL).status_code == 403
    assert Client().get(URL).status_code == 401
    session = Client()
    session.force_login(admin_user)
    assert session.get(URL).status_code == 200


def test_it_is_documented(admin_api: Client) -> None:
    document = admin_api.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/audit"]["get"]
    assert operation["operationId"] == "list_audit_records"
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names >= {
        "actor",
        "action",
        "object_type",
        "object_id",
        "since",
        "until",
        "page",
        "per_page",
    }

"""`GET /api/v1/insights`: the page's charts as data, with the same rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/insights"


def api_for(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)}")


def test_it_answers_the_charts(manager: User, world: dict[str, Any]) -> None:
    response = api_for(manager).get(URL, {"period": "4w", "chart": "incidents-by-severity"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {
        "kind": "4w", "first_day": "2026-02-23", "last_day": "2026-03-22", "weeks": 4
    }  # fmt: skip
    [chart] = body["charts"]
    assert chart["columns"] == ["category", "1", "2", "3", "4", "total"]
    assert chart["rows"][1] == ["2026-03-02", 0, 1, 0, 0, 1]


def test_private_incidents_count_only_for_their_readers(
    manager: User, admin_user: User, world: dict[str, Any]
) -> None:
    params = {"period": "4w", "chart": "incidents-by-type"}
    assert "security" not in api_for(manager).get(URL, params).json()["charts"][0]["columns"]
    assert "security" in api_for(admin_user).get(URL, params).json()["charts"][0]["columns"]


def test_it_refuses_people_without_the_permission(responder: User) -> None:
    response = api_for(responder).get(URL)
    assert response.status_code == 403
    assert Client().get(URL).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "forever"}, "period"),
        ({"chart": "pie"}, "chart"),
        ({"severity": "9"}, "severity"),
    ],
)
def test_bad_parameters_are_named(manager: User, params: dict[str, str], field: str) -> None:
    response = api_for(manager).get(URL, params)
    assert response.status_code == 422
    assert response.json()["field"] == field

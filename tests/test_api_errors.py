"""Every way a request can fail answers JSON of one shape, names the field
at fault, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hotwash.core.models import AuditRecord
from hotwash.incidents import services
from hotwash.incidents.models import (
    Incident,
    Participant,
    RoleAssignment,
    Task,
    TimelineEvent,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents"


def snapshot() -> tuple[int, ...]:
    models = (Incident, TimelineEvent, RoleAssignment, Participant, Task, AuditRecord)
    return tuple(model.objects.count() for model in models)


def assert_error_shape(data: dict[str, Any]) -> None:
    assert set(data) == {"message", "field", "errors"}
    assert isinstance(data["message"], str) and data["message"].endswith(".")
    assert data["errors"] and data["errors"][0] == {
        "field": data["field"],
        "message": data["message"],
    }


@pytest.fixture
def incident(responder: Any) -> Incident:
    return services.declare_incident(actor=responder, title="Shop down")


# --- declaring -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "title", "required"),
        ({"title": ""}, "title", "title"),
        ({"title": "   "}, "title", "title"),
        ({"title": None}, "title", "string"),
        ({"title": 42}, "title", "string"),
        ({"title": "x" * 201}, "title", "201 characters"),
        ({"title": "x", "severity": 7}, "severity", "1, 2, 3 or 4"),
        ({"title": "x", "severity": "SEV9"}, "severity", "1, 2, 3 or 4"),
        ({"title": "x", "severity": [2]}, "severity", "1, 2, 3 or 4"),
        ({"title": "x", "status": "sleeping"}, "status", "triage"),
        ({"title": "x", "detection_source": "psychic"}, "detection_source", "alert"),
        ({"title": "x", "services": "shop"}, "services", "list"),
        ({"title": "x", "services": ["x" * 101]}, "services", "100"),
        ({"title": "x", "private": "perhaps"}, "private", "true or false"),
        (
            {"title": "x", "impact_started_at": "2999-01-01T00:00:00Z"},
            "impact_started_at",
            "future",
        ),
        ({"title": "x", "detected_at": "2026-01-01T10:00:00"}, "detected_at", "time zone"),
        ({"title": "x", "detected_at": "soon"}, "detected_at", "ISO 8601"),
        ({"title": "x", "summary": "x" * 20_001}, "summary", "limit"),
        ({"title": "x", "declared_at": "2026-01-01T10:00:00Z"}, "declared_at", "docs"),
    ],
)
def test_a_bad_declaration_is_422_naming_the_field(
    api: Client, responder: Any, body: dict[str, Any], field: str, words: str
) -> None:
    before = snapshot()
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 422
    data = response.json()
    assert_error_shape(data)
    assert data["field"] == field
    assert words in data["message"]
    assert snapshot() == before


def test_several_problems_are_all_reported(api: Client, responder: Any) -> None:
    response = api.post(URL, {"private": "perhaps", "services": 3}, content_type="application/json")
    data = response.json()
    assert {item["field"] for item in data["errors"]} == {"title", "private", "services"}


@pytest.mark.parametrize(
    "raw",
    ['{"title": "x"', "{title: 'x'}", "title=x", '{"title": "x"} trailing', "\xff\xfe"],
)
def test_malformed_json_is_400_and_writes_nothing(api: Client, responder: Any, raw: str) -> None:
    before = snapshot()
    response = api.post(URL, raw.encode("latin-1"), content_type="application/json")
    assert response.status_code == 400
    data = response.json()
    assert_error_shape(data)
    assert data["message"].startswith("The request body is not valid JSON: ")
    assert data["field"] is None
    assert snapshot() == before


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Send a JSON object in the request body."),
        ("[]", "The request body must be a JSON object."),
        ('"Shop down"', "The request body must be a JSON object."),
    ],
)
def test_a_body_that_is_not_an_object_is_422(
    api: Client, responder: Any, raw: str, message: str
) -> None:
    response = api.post(URL, raw, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["message"] == message
    assert not Incident.objects.exists()


def test_a_body_over_one_megabyte_is_413_and_writes_nothing(api: Client, responder: Any) -> None:
    before = snapshot()
    body = '{"title": "x", "summary": "' + "x" * (1024 * 1024) + '"}'
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "limit" in response.json()["message"]
    assert snapshot() == before


# --- changing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"severity": 0}, "severity"),
        ({"title": None}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"resolved_at": "2999-01-01T00:00:00Z"}, "resolved_at"),
        ({"declared_at": None}, "declared_at"),
        ({"id": "INC-9"}, "id"),
        ({"private": None}, "private"),
        # One bad field refuses the whole change: the good one is not applied.
        ({"summary": "Fine.", "severity": "SEV0"}, "severity"),
    ],
)
def test_a_bad_change_is_422_and_changes_nothing(
    api: Client, incident: Incident, body: dict[str, Any], field: str
) -> None:
    before = snapshot()
    response = api.patch(f"{URL}/{incident.ref}", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert snapshot() == before
    incident.refresh_from_db()
    assert (incident.title, incident.summary, incident.severity) == ("Shop down", "", 3)


def test_an_empty_change_body_asks_for_an_object(api: Client, incident: Incident) -> None:
    response = api.patch(f"{URL}/{incident.ref}", "", content_type="application/json")
    assert response.status_code == 422
    assert response.json()["message"] == "Send a JSON object in the request body."


# --- roles, participants, tasks --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("roles/commander", {"user": "nobody"}, 422, "user"),
        ("roles/commander", {}, 422, "user"),
        ("roles/commander", {"user": 5}, 422, "user"),
        ("roles/janitor", {"user": "sam"}, 422, "role"),
        ("participants", {"user": "nobody"}, 422, "user"),
        ("tasks", {"title": ""}, 422, "title"),
        ("tasks", {"title": "Check", "assignee": "nobody"}, 422, "assignee"),
    ],
)
def test_bad_people_and_tasks_are_refused(
    api: Client,
    incident: Incident,
    other_responder: Any,
    path: str,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    before = snapshot()
    method = api.put if path.startswith("roles/") else api.post
    response = method(f"{URL}/{incident.ref}/{path}", body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["field"] == field
    assert snapshot() == before


def test_an_unknown_user_is_named_in_the_message(api: Client, incident: Incident) -> None:
    response = api.put(
        f"{URL}/{incident.ref}/roles/commander", {"user": "nobody"}, content_type="application/json"
    )
    assert response.json()["message"] == "There is no active user named nobody."


# --- routes and methods ----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/",
        "/api/v1/nothing-here",
        "/api/v1/incidents/INC-1/nothing",
        "/api/v1/incidents/",
    ],
)
def test_an_unknown_route_is_a_json_404(api: Client, responder: Any, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "/api/v1/docs" in response.json()["message"]


def test_a_malformed_path_parameter_is_422_naming_it(api: Client, incident: Incident) -> None:
    response = api.get(f"{URL}/{incident.ref}/timeline/abc/history")
    assert response.status_code == 422
    assert response.json()["field"] == "entry_id"


def test_an_unknown_route_is_404_even_without_a_token(db: Any) -> None:
    assert Client().get("/api/v1/nothing-here").status_code == 404


def test_a_wrong_method_is_a_json_405(api: Client, responder: Any) -> None:
    response = api.delete(URL)
    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}
    assert response.json()["message"].startswith("This endpoint does not accept DELETE; use ")


def test_error_messages_follow_the_requested_language(api: Client, incident: Incident) -> None:
    response = api.get(f"{URL}/INC-999", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404
    assert response["Content-Language"] == "fr"
    assert_error_shape(response.json())


def test_an_unexpected_failure_is_a_json_500(
    api: Client, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("hotwash.api.incidents.build_catchup", explode)
    client = Client(
        HTTP_AUTHORIZATION=api.defaults["HTTP_AUTHORIZATION"], raise_request_exception=False
    )
    response = client.get(f"{URL}/{incident.ref}/catchup")
    assert response.status_code == 500
    assert_error_shape(response.json())
    assert "database on fire" not in response.json()["message"]


@pytest.mark.django_db
def test_paths_outside_the_api_version_answer_json_404(client: Any) -> None:
    response = client.get("/api/v2/incidents")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "/api/v1/" in response.json()["message"]

"""Every way a request can fail answers JSON of one shape, names the field
at fault, and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
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
def incident(responder: User) -> Incident:
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
    api: Client, responder: User, body: dict[str, Any], field: str, words: str
) -> None:
    before = snapshot()
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 422
    data = response.json()
    assert_error_shape(data)
    assert data["field"] == field
    assert words in data["message"]
    assert snapshot() == before


def test_several_problems_are_all_reported(api: Client, responder: User) -> None:
    response = api.post(URL, {"private": "perhaps", "services": 3}, content_type="application/json")
    data = response.json()
    assert {item["field"] for item in data["errors"]} == {"title", "private", "services"}


@pytest.mark.parametrize(
    "raw",
    ['{"title": "x"', "{title: 'x'}", "title=x", '{"title": "x"} trailing', "\xff\xfe"],
)
def test_malformed_json_is_400_and_writes_nothing(api: Client, responder: User, raw: str) -> None:
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
    api: Client, responder: User, raw: str, message: str
) -> None:
    response = api.post(URL, raw, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["message"] == message
    assert not Incident.objects.exists()


def test_a_body_over_one_megabyte_is_413_and_writes_nothing(api: Client, responder: User) -> None:
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
    other_responder: User,
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
def test_an_unknown_route_is_a_json_404(api: Client, responder: User, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "/api/v1/docs" in response.json()["message"]


def test_a_malformed_path_parameter_is_422_naming_it(api: Client, incident: Incident) -> None:
    response = api.get(f"{URL}/{incident.ref}/timeline/abc/history")
    assert response.status_code == 422
    assert response.json()["field"] == "entry_id"


def test_an_unknown_route_is_404_even_without_a_token(db: None) -> None:
    assert Client().get("/api/v1/nothing-here").status_code == 404


def test_a_wrong_method_is_a_json_405(api: Client, responder: User) -> None:
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

    monkeypatch.setattr("hotwash.incidents.api.build_catchup", explode)
    client = Client(
        HTTP_AUTHORIZATION=api.defaults["HTTP_AUTHORIZATION"], raise_request_exception=False
    )
    response = client.get(f"{URL}/{incident.ref}/catchup")
    assert response.status_code == 500
    assert_error_shape(response.json())
    assert "database on fire" not in response.json()["message"]


@pytest.mark.django_db
def test_paths_outside_the_api_version_answer_json_404(client: Client) -> None:
    response = client.get("/api/v2/incidents")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "/api/v1/" in response.json()["message"]


# --- values no database or clock can hold (issue 9) ------------------------------

HUGE_PAGE = "9223372036854775807"
PAGED_LISTS = ["/api/v1/incidents", "/api/v1/action-items", "/api/v1/postmortems"]
PAGED_LISTS += ["/api/v1/alerts/groups", "/api/v1/incidents/INC-1/timeline"]


@pytest.mark.parametrize("path", PAGED_LISTS)
@pytest.mark.parametrize("page", [HUGE_PAGE, "100001"])
def test_a_page_past_the_bound_is_422_naming_it(
    api: Client, incident: Incident, path: str, page: str
) -> None:
    response = api.get(path, {"page": page})
    assert response.status_code == 422
    data = response.json()
    assert_error_shape(data)
    assert data["field"] == "page"
    assert data["message"] == "The field page must be at most 100000."


def test_the_last_page_allowed_is_an_empty_page(api: Client, incident: Incident) -> None:
    response = api.get(URL, {"page": "100000", "per_page": "200"})
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_the_page_bound_is_documented(api: Client, responder: User) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    parameters = document["paths"]["/api/v1/action-items"]["get"]["parameters"]
    (page,) = [p for p in parameters if p["name"] == "page"]
    assert page["schema"]["maximum"] == 100_000


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"until": "9999-12-31"}, "until"),
        ({"since": "9999-12-31"}, "since"),
        ({"since": "0001-01-01"}, "since"),
    ],
)
def test_a_day_out_of_range_in_the_list_is_422(
    api: Client, incident: Incident, query: dict[str, str], field: str
) -> None:
    response = api.get(URL, query)
    assert response.status_code == 422
    data = response.json()
    assert_error_shape(data)
    assert data["field"] == field
    assert "use a date between 1900-01-01 and 2999-12-31" in data["message"]


YEAR_ONE_EAST = "0001-01-01T00:00:00+14:00"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "", {"title": "x", "impact_started_at": YEAR_ONE_EAST}, "impact_started_at"),
        ("post", "", {"title": "x", "detected_at": "9999-12-31T23:59:59-14:00"}, "detected_at"),
        ("patch", "/{ref}", {"mitigated_at": YEAR_ONE_EAST}, "mitigated_at"),
        ("patch", "/{ref}", {"resolved_at": "1899-12-31T23:00:00Z"}, "resolved_at"),
        ("post", "/{ref}/timeline", {"body": "x", "occurred_at": YEAR_ONE_EAST}, "occurred_at"),
        # Seconds since 1970 make a time too: this one is in 1897.
        ("post", "/{ref}/timeline", {"body": "x", "occurred_at": -2_300_000_000}, "occurred_at"),
    ],
)
def test_a_time_out_of_range_is_422_and_changes_nothing(
    api: Client, incident: Incident, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    before = snapshot()
    url = URL + path.format(ref=incident.ref)
    response = getattr(api, method)(url, body, content_type="application/json")
    assert response.status_code == 422
    data = response.json()
    assert_error_shape(data)
    assert data["field"] == field
    assert "is out of range" in data["message"]
    assert snapshot() == before


@pytest.mark.parametrize("due", ["9999-12-31", "3000-01-01"])
def test_a_due_date_out_of_range_is_422(api: Client, incident: Incident, due: str) -> None:
    before = snapshot()
    body = {"title": "Add an alert", "owner": "amira", "incident": incident.ref, "due": due}
    response = api.post("/api/v1/action-items", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "due"
    assert snapshot() == before


def test_a_stored_time_out_of_range_is_still_shown(api: Client, incident: Incident) -> None:
    """Only what a request sends is checked: an answer carrying an old time
    stored before the rule existed is still given."""
    Incident.objects.filter(pk=incident.pk).update(
        impact_started_at=datetime(1899, 1, 1, tzinfo=UTC)
    )
    response = api.get(f"{URL}/{incident.ref}")
    assert response.status_code == 200
    assert response.json()["impact_started_at"].startswith("1899-01-01")


LONE_SURROGATE = '"Shop \\ud800 down"'  # as JSON text: the escape of half a character
NUL = '"Shop \\u0000 down"'


@pytest.mark.parametrize(("escaped", "words"), [(LONE_SURROGATE, "surrogate"), (NUL, "NUL")])
@pytest.mark.parametrize(
    ("path", "template", "field"),
    [
        ("", '{"title": %s}', "title"),
        ("", '{"title": "x", "services": ["shop", %s]}', "services"),
        ("/{ref}", '{"summary": %s}', "summary"),
        ("/{ref}/timeline", '{"body": %s}', "body"),
        ("/{ref}/tasks", '{"title": %s}', "title"),
        ("/{ref}/participants", '{"user": %s}', "user"),
    ],
)
def test_text_that_cannot_be_stored_is_422_and_changes_nothing(
    api: Client,
    incident: Incident,
    escaped: str,
    words: str,
    path: str,
    template: str,
    field: str,
) -> None:
    before = snapshot()
    url = URL + path.format(ref=incident.ref)
    method = api.patch if path == "/{ref}" else api.post
    response = method(url, template % escaped, content_type="application/json")
    assert response.status_code == 422
    data = response.json()
    assert_error_shape(data)
    assert data["field"] == field
    assert words in data["message"]
    assert snapshot() == before


def test_a_key_that_cannot_be_stored_is_named_safely(api: Client, incident: Incident) -> None:
    response = api.post(URL, '{"title": "x", "\\ud800": 1}', content_type="application/json")
    assert response.status_code == 422
    data = response.json()
    assert data["field"] == "\\ud800"
    assert "surrogate" in data["message"]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/incidents", {"q": "shop\x00"}, "q"),
        ("/api/v1/incidents", {"service": "\x00"}, "service"),
        ("/api/v1/action-items", {"q": "\x00"}, "q"),
        ("/api/v1/postmortems", {"q": "\x00"}, "q"),
        ("/api/v1/alerts/groups", {"source": "\x00"}, "source"),
    ],
)
def test_a_nul_in_a_search_is_422(
    api: Client, incident: Incident, path: str, query: dict[str, str], field: str
) -> None:
    response = api.get(path, query)
    assert response.status_code == 422
    data = response.json()
    assert_error_shape(data)
    assert data["field"] == field
    assert "NUL" in data["message"]


def test_a_nul_in_the_path_is_422(api: Client, responder: User) -> None:
    before = snapshot()
    response = api.post("/api/v1/heartbeats/backup%00job")
    assert response.status_code == 422
    data = response.json()
    assert_error_shape(data)
    assert data["field"] is None
    assert snapshot() == before


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data; boundary=xyz", "application/x-www-form-urlencoded"],
)
def test_a_form_body_is_still_reported_as_not_json(
    api: Client, responder: User, content_type: str
) -> None:
    """Pages' forms are checked for text that cannot be stored; the API's
    body is left for the API to read and report."""
    before = snapshot()
    response = api.post(URL, b"title=Shop%00down", content_type=content_type)
    assert response.status_code == 400
    assert response.json()["message"].startswith("The request body is not valid JSON: ")
    assert snapshot() == before

"""POST /api/v1/lint: the blameless-language linter over the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import Settings

from hotwash.accounts.services import create_api_token

URL = "/api/v1/lint"


def post(client: Client, body: Any, **extra: Any) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json", **extra)


def test_it_returns_findings_with_offsets(api: Client) -> None:
    text = "Sam broke the deploy. The root cause was human error."
    response = post(api, {"text": text, "language": "en", "names": ["Sam"]})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2 == len(data["findings"])
    first, second = data["findings"]
    assert first["rule"] == "person-as-cause" and first["category"] == "naming"
    assert text[first["start"] : first["end"]] == first["excerpt"] == "Sam"
    assert second["excerpt"] == "human error" and second["category"] == "human-error"
    assert set(second) == {"start", "end", "rule", "category", "excerpt", "message", "suggestion"}


def test_a_clean_text_has_no_findings(api: Client) -> None:
    data = post(api, {"text": "The monitoring failed to fire."}).json()
    assert data == {"findings": [], "count": 0}


def test_the_language_defaults_to_accept_language(api: Client) -> None:
    data = post(api, {"text": "Il aurait dû vérifier."}, HTTP_ACCEPT_LANGUAGE="fr").json()
    assert data["findings"][0]["excerpt"] == "aurait dû"
    assert "rétrospectif" in data["findings"][0]["message"]
    assert post(api, {"text": "Il aurait dû vérifier."}).json()["count"] == 0


def test_explanations_follow_the_requested_language(api: Client) -> None:
    data = post(api, {"text": "C'est une erreur humaine.", "language": "fr"}).json()
    assert data["findings"][0]["message"].startswith("« Erreur humaine »")


def test_viewers_may_lint(viewer: User) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(viewer)}")
    assert post(client, {"text": "Obviously."}).json()["count"] == 1


def test_a_signed_in_session_may_lint(responder_client: Client) -> None:
    assert post(responder_client, {"text": "Obviously."}).status_code == 200


def test_anonymous_callers_get_401(db: None) -> None:
    response = post(Client(), {"text": "Obviously."})
    assert response.status_code == 401
    assert response.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": 42}, "text"),
        ({"text": "x", "language": "de"}, "language"),
        ({"text": "x", "names": "Sam"}, "names"),
        ({"text": "x", "colour": "red"}, "colour"),
    ],
)
def test_invalid_requests_are_422_naming_the_field(api: Client, body: Any, field: str) -> None:
    response = post(api, body)
    assert response.status_code == 422
    data = response.json()
    assert data["field"] == field and data["message"] and data["errors"]


def test_an_unknown_language_is_explained_in_the_request_language(api: Client) -> None:
    response = post(api, {"text": "x", "language": "de"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["message"] == "La langue doit être en ou fr."


def test_malformed_json_is_400(api: Client) -> None:
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


def test_get_is_405_in_json(api: Client) -> None:
    response = api.get(URL)
    assert response.status_code == 405
    assert response.json()["message"]


def test_a_body_over_the_limit_is_413(api: Client) -> None:
    response = post(api, {"text": "a" * (1024 * 1024 + 10)})
    assert response.status_code == 413
    assert response.json()["message"]


def test_a_text_longer_than_the_documented_limit_is_422_even_under_a_raised_body_limit(
    api: Client, settings: Settings
) -> None:
    from hotwash.blameless.schemas import TEXT_MAX_CHARS

    # An operator may raise HOTWASH_MAX_BODY_BYTES (for alert batches); the
    # text itself stays bounded, as the OpenAPI document says.
    settings.MAX_BODY_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * TEXT_MAX_CHARS
    schema = api.get("/api/v1/openapi.json").json()["components"]["schemas"]["LintIn"]
    assert schema["properties"]["text"]["maxLength"] == TEXT_MAX_CHARS
    response = post(api, {"text": "a" * (TEXT_MAX_CHARS + 1)})
    assert response.status_code == 422
    assert response.json()["field"] == "text"
    assert post(api, {"text": "a" * TEXT_MAX_CHARS}).json() == {"findings": [], "count": 0}


def test_a_text_of_a_megabyte_without_full_stops_is_flagged_at_its_start_middle_and_end(
    api: Client,
) -> None:
    filler = "queue depth kept growing while dashboards showed steady latency and alerts stayed "
    gap = filler * 4_100  # about 336 kB
    blameful = "the root cause was human error "
    # An exception to the rule far from every match: it says nothing about them.
    text = blameful + gap + blameful + gap + "we are not using the old graphs " + gap + blameful
    assert 1_000_000 < len(text) < 1_048_576
    response = post(api, {"text": text, "language": "en"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3
    starts = [f["start"] for f in data["findings"]]
    first = text.index("human error")
    assert starts == [first, text.index("human error", first + 1), text.rindex("human error")]
    assert {f["excerpt"] for f in data["findings"]} == {"human error"}


@pytest.mark.parametrize(
    ("language", "blameful", "neutral"),
    [
        ("en", "The deploy was broken by Sam.", "Sam paged the storage team."),
        ("fr", "Le déploiement a été cassé par Sam.", "Sam a prévenu l'équipe stockage."),
    ],
)
def test_without_names_every_account_s_name_is_known(
    api: Client, other_responder: User, language: str, blameful: str, neutral: str
) -> None:
    # Sam has an account and joined nothing: the editor sends no names.
    data = post(api, {"text": blameful, "language": language}).json()
    assert [(f["rule"], f["excerpt"]) for f in data["findings"]] == [("person-as-cause", "Sam")]
    assert post(api, {"text": neutral, "language": language}).json()["count"] == 0


def test_names_given_are_known_beside_the_accounts(api: Client, other_responder: User) -> None:
    text = "The deploy was broken by Sam, and the cache was wiped by Jens."
    data = post(api, {"text": text, "language": "en", "names": ["Jens"]}).json()
    assert [f["excerpt"] for f in data["findings"]] == ["Sam", "Jens"]


def test_each_finding_is_listed_once(api: Client) -> None:
    text = "It all started because Kevin deleted the wrong S3 bucket."
    data = post(api, {"text": text, "language": "en", "names": ["Kevin"]}).json()
    assert data["count"] == 1
    assert data["findings"][0]["excerpt"] == "Kevin"

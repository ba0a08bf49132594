"""POST and GET /api/v1/incidents/{ref}/updates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.incidents.models import Incident, TimelineEvent, TimelineKind
from hotwash.incidents.services import declare_incident
from hotwash.notifications.models import Event
from hotwash.statuspage.models import StakeholderUpdate

pytestmark = pytest.mark.django_db

BOTH = {
    "en": "Checkout is slow; we are on it.",
    "fr": "Le paiement est lent ; nous nous en occupons.",
}


def post(client: Client, ref: str, body: dict[str, Any], language: str = "en") -> Any:
    return client.post(
        f"/api/v1/incidents/{ref}/updates",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Accept-Language": language},
    )


def token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user, name='tests')}")


def test_publishing_answers_201_with_the_update(api: Client, incident: Incident) -> None:
    answer = post(api, incident.ref, {"audience": "public", "status": "identified", "text": BOTH})
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert data["incident"] == incident.ref
    assert (data["audience"], data["status"], data["text"]) == ("public", "identified", BOTH)
    assert data["author"] == "amira"
    assert data["findings"] == {"en": [], "fr": []}
    assert TimelineEvent.objects.filter(incident=incident, kind=TimelineKind.STAKEHOLDER).exists()
    event = Event.objects.get(type="incident.update_published")
    assert event.data["update"]["id"] == data["id"]


def test_internal_is_the_default_audience(api: Client, incident: Incident) -> None:
    answer = post(
        api,
        incident.ref.removeprefix("INC-"),
        {"status": "monitoring", "text": {"fr": "Surveillance."}},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["audience"] == "internal"


def test_a_missing_language_is_named(api: Client, incident: Incident) -> None:
    answer = post(
        api,
        incident.ref,
        {"audience": "public", "status": "identified", "text": {"en": "Only English."}},
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "text.fr"
    assert "French text is missing" in answer.json()["message"]
    assert not StakeholderUpdate.objects.exists()


def test_the_missing_language_is_named_in_french_too(api: Client, incident: Incident) -> None:
    answer = post(
        api,
        incident.ref,
        {"audience": "public", "status": "identified", "text": {"en": "Only English."}},
        language="fr",
    )
    assert answer.status_code == 422
    assert "texte français manque" in answer.json()["message"]


def test_a_private_incident_refuses_a_public_update(api: Client, responder: User) -> None:
    secret = declare_incident(actor=responder, title="Leaked keys", private=True)
    answer = post(api, secret.ref, {"audience": "public", "status": "identified", "text": BOTH})
    assert answer.status_code == 422
    assert answer.json()["field"] == "audience"
    assert "Make the incident public first" in answer.json()["message"]


def test_a_viewer_is_refused_but_reads_the_updates(
    api: Client, incident: Incident, viewer: User
) -> None:
    assert post(api, incident.ref, {"status": "identified", "text": BOTH}).status_code == 201
    reader = token_client(viewer)
    refused = post(reader, incident.ref, {"status": "identified", "text": BOTH})
    assert refused.status_code == 403
    assert StakeholderUpdate.objects.count() == 1
    listed = reader.get(f"/api/v1/incidents/{incident.ref}/updates")
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert listed.json()["items"][0]["text"] == BOTH


def test_the_list_is_newest_first(api: Client, incident: Incident) -> None:
    for status in ("investigating", "identified", "monitoring"):
        assert post(api, incident.ref, {"status": status, "text": BOTH}).status_code == 201
    items = api.get(f"/api/v1/incidents/{incident.ref}/updates").json()["items"]
    assert [item["status"] for item in items] == ["monitoring", "identified", "investigating"]


def test_a_private_incident_and_its_updates_are_404_to_others(
    api: Client, responder: User, other_responder: User
) -> None:
    secret = declare_incident(actor=responder, title="Leaked keys", private=True)
    assert post(api, secret.ref, {"status": "identified", "text": BOTH}).status_code == 201
    outsider = token_client(other_responder)
    assert outsider.get(f"/api/v1/incidents/{secret.ref}/updates").status_code == 404
    refused = post(outsider, secret.ref, {"status": "identified", "text": BOTH})
    assert refused.status_code == 404
    assert StakeholderUpdate.objects.count() == 1


def test_blameless_findings_come_back_with_the_update(api: Client, incident: Incident) -> None:
    answer = post(
        api,
        incident.ref,
        {
            "status": "identified",
            "text": {"en": "The outage was caused by human error.", "fr": ""},
        },
    )
    assert answer.status_code == 201
    findings = answer.json()["findings"]
    assert findings["fr"] == []
    assert findings["en"], findings
    assert findings["en"][0]["category"] == "human-error"
    assert findings["en"][0]["suggestion"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "fixed", "text": BOTH}, "status"),
        ({"audience": "all", "status": "identified", "text": BOTH}, "audience"),
    ],
)
def test_unknown_values_are_422_naming_the_field(
    api: Client, incident: Incident, body: dict[str, Any], field: str
) -> None:
    answer = post(api, incident.ref, body)
    assert answer.status_code == 422
    assert answer.json()["field"] == field


def test_an_unknown_incident_is_404(api: Client) -> None:
    assert post(api, "INC-999999", {"status": "identified", "text": BOTH}).status_code == 404

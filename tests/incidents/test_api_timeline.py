from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import timezone, translation
from pytest_django import DjangoAssertNumQueries

from hotwash.core.models import AuditRecord
from hotwash.incidents import services
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import Incident, TimelineEdit, TimelineEvent

pytestmark = pytest.mark.django_db


def url(incident: Incident, rest: str = "") -> str:
    return f"/api/v1/incidents/{incident.ref}/timeline{rest}"


def post(client: Client, path: str, data: Any) -> Any:
    return client.post(path, data, content_type="application/json")


def snapshot() -> tuple[int, int, int]:
    return (
        TimelineEvent.objects.count(),
        TimelineEdit.objects.count(),
        AuditRecord.objects.count(),
    )


# --- writing ---------------------------------------------------------------------


def test_it_adds_a_note(api: Client, incident: Incident) -> None:
    response = post(api, url(incident), {"body": "  Rolled back the 14:02 deploy.  "})

    assert response.status_code == 201
    entry = response.json()
    stored = TimelineEvent.objects.get(pk=entry["id"])
    assert stored.incident == incident
    assert entry["kind"] == "note"
    assert entry["kind_name"] == "Note"
    assert entry["body"] == entry["text"] == "Rolled back the 14:02 deploy."
    assert entry["author"] == "amira"
    assert entry["key_moment"] is False
    assert entry["edited_at"] is None
    assert entry["data"] == {}
    assert entry["occurred_at"] == entry["recorded_at"]


def test_it_adds_a_decision_as_a_key_moment(api: Client, incident: Incident) -> None:
    response = post(
        api, url(incident), {"body": "Fail over to EU-2.", "kind": "decision", "key_moment": True}
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "decision"
    assert response.json()["key_moment"] is True


def test_it_back_dates_an_entry(api: Client, incident: Incident) -> None:
    with time_machine.travel("2026-05-01 12:00:00+00:00", tick=False):
        response = post(
            api, url(incident), {"body": "Alert fired.", "occurred_at": "2026-05-01T13:40:00+02:00"}
        )
    entry = response.json()
    assert response.status_code == 201
    assert entry["occurred_at"] == "2026-05-01T11:40:00Z"
    assert entry["recorded_at"] == "2026-05-01T12:00:00Z"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "x", "occurred_at": "2999-01-01T00:00:00+00:00"}, "occurred_at"),
        ({"body": "x", "occurred_at": "2026-01-01T00:00:00"}, "occurred_at"),
        ({"body": "x", "occurred_at": "last tuesday"}, "occurred_at"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({}, "body"),
        ({"body": "x", "kind": "status"}, "kind"),
        ({"body": "x", "kind": "gossip"}, "kind"),
        ({"body": "x", "key_moment": "maybe"}, "key_moment"),
        ({"body": "x", "author": "someone"}, "author"),
    ],
)
def test_a_bad_entry_is_422_naming_the_field_and_writes_nothing(
    api: Client, incident: Incident, body: dict[str, Any], field: str
) -> None:
    before = snapshot()
    response = post(api, url(incident), body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["message"]
    assert snapshot() == before


def test_a_future_time_says_it_must_have_happened(api: Client, incident: Incident) -> None:
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    response = post(api, url(incident), {"body": "x", "occurred_at": future})
    assert (
        response.json()["message"] == "This time is in the future; it must already have happened."
    )


def test_an_append_takes_few_queries(
    api: Client, incident: Incident, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    post(api, url(incident), {"body": "warm-up"})  # first note: joins, token touched
    # Token, incident, insert entry, touch incident, participant, audit, and
    # the incident's search document in the same transaction (read the
    # incident and its entries, write the document; on SQLite also replace
    # its row in each language's FTS5 table): the count is fixed whatever
    # the timeline's length; this guards against a per-request query
    # creeping in.
    with django_assert_max_num_queries(14 if connection.vendor == "sqlite" else 12):
        assert post(api, url(incident), {"body": "Another note."}).status_code == 201


# --- reading ---------------------------------------------------------------------


def test_it_lists_entries_in_the_order_they_happened(
    api: Client, incident: Incident, responder: User
) -> None:
    services.add_timeline_event(incident, actor=responder, body="Second")
    services.add_timeline_event(
        incident,
        actor=responder,
        body="Before the declaration",
        occurred_at=timezone.now() - timedelta(hours=2),
    )
    data = api.get(url(incident)).json()
    assert [item["text"] for item in data["items"]] == [
        "Before the declaration",
        "Incident declared: Shop down (SEV2, Investigating).",
        "Second",
    ]
    assert data["count"] == 3
    assert data["items"][1]["kind"] == "declared"
    assert data["items"][1]["data"]["title"] == "Shop down"


def test_it_lists_only_key_moments(api: Client, incident: Incident, responder: User) -> None:
    services.add_timeline_event(incident, actor=responder, body="Plain note")
    services.add_timeline_event(incident, actor=responder, body="Big one", key_moment=True)
    data = api.get(url(incident, "?key_moments=true")).json()
    assert [item["kind"] for item in data["items"]] == ["declared", "note"]
    assert data["items"][-1]["body"] == "Big one"


def test_it_lists_entries_written_after_a_given_one(
    api: Client, incident: Incident, responder: User
) -> None:
    seen = api.get(url(incident)).json()["items"][-1]["id"]
    services.add_timeline_event(incident, actor=responder, body="New")
    services.update_incident(incident, actor=responder, changes={"severity": 1})
    data = api.get(url(incident, f"?after_id={seen}")).json()
    assert [item["kind"] for item in data["items"]] == ["note", "severity"]
    assert data["items"][1]["text"] == "Severity changed from SEV2 to SEV1."


def test_it_paginates_the_timeline(api: Client, incident: Incident, responder: User) -> None:
    for index in range(4):
        services.add_timeline_event(incident, actor=responder, body=f"Note {index}")
    first = api.get(url(incident, "?per_page=2")).json()
    assert first["count"] == 5
    assert first["next"] is not None and first["previous"] is None
    last = api.get(url(incident, "?per_page=2&page=3")).json()
    assert [item["body"] for item in last["items"]] == ["Note 3"]
    assert last["next"] is None


def test_generated_entries_have_no_author_when_hotwash_wrote_them(
    api: Client, incident: Incident
) -> None:
    services.update_incident(incident, actor=None, changes={"status": "identified"})
    entry = api.get(url(incident)).json()["items"][-1]
    assert entry["kind"] == "status"
    assert entry["author"] is None


def test_entry_text_follows_the_requested_language(api: Client, incident: Incident) -> None:
    services.update_incident(incident, actor=None, changes={"status": "monitoring"})
    response = api.get(url(incident), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    # Each sentence is rendered in the caller's language: whatever the French
    # catalogue says, the API says the same.
    with translation.override("fr"):
        expected = [describe_event(event) for event in incident.timeline.all()]
    assert [item["text"] for item in response.json()["items"]] == expected


# --- correcting ------------------------------------------------------------------


@pytest.fixture
def note(incident: Incident, responder: User) -> TimelineEvent:
    return services.add_timeline_event(incident, actor=responder, body="Rolled back.")


def test_it_corrects_an_entry_and_keeps_its_history(
    api: Client, incident: Incident, note: TimelineEvent, other_responder: User
) -> None:
    earlier = (note.occurred_at - timedelta(minutes=5)).isoformat()
    response = api.patch(
        url(incident, f"/{note.pk}"),
        {"body": "Rolled back the 14:02 deploy.", "occurred_at": earlier, "key_moment": True},
        content_type="application/json",
    )
    assert response.status_code == 200
    entry = response.json()
    assert entry["body"] == "Rolled back the 14:02 deploy."
    assert entry["key_moment"] is True
    assert entry["edited_at"] is not None

    history = api.get(url(incident, f"/{note.pk}/history")).json()
    assert len(history) == 1
    assert history[0]["editor"] == "amira"
    assert history[0]["before"]["body"] == "Rolled back."
    assert history[0]["after"]["body"] == "Rolled back the 14:02 deploy."
    assert history[0]["before"]["key_moment"] is False


def test_a_correction_with_only_some_fields_keeps_the_others(
    api: Client, incident: Incident, note: TimelineEvent
) -> None:
    response = api.patch(
        url(incident, f"/{note.pk}"), {"key_moment": True}, content_type="application/json"
    )
    assert response.json()["body"] == "Rolled back."
    assert TimelineEdit.objects.get().after == {"key_moment": True}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"occurred_at": "2999-01-01T00:00:00+00:00"}, "occurred_at"),
        ({"body": ""}, "body"),
        ({"kind": "decision"}, "kind"),
    ],
)
def test_a_bad_correction_is_refused_and_writes_nothing(
    api: Client, incident: Incident, note: TimelineEvent, body: dict[str, Any], field: str
) -> None:
    before = snapshot()
    response = api.patch(url(incident, f"/{note.pk}"), body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert snapshot() == before
    note.refresh_from_db()
    assert note.body == "Rolled back."


def test_an_entry_of_another_incident_is_404(
    api: Client, incident: Incident, responder: User
) -> None:
    other = services.declare_incident(actor=responder, title="Other")
    foreign = services.add_timeline_event(other, actor=responder, body="Elsewhere")
    response = api.patch(
        url(incident, f"/{foreign.pk}"), {"body": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert api.get(url(incident, f"/{foreign.pk}/history")).status_code == 404
    assert api.get(url(incident, "/999999/history")).status_code == 404

"""Roles, participants and tasks through the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.incidents import services
from hotwash.incidents.models import Incident, RoleAssignment, TimelineEvent, TimelineKind

pytestmark = pytest.mark.django_db


def url(incident: Incident, rest: str) -> str:
    return f"/api/v1/incidents/{incident.ref}/{rest}"


def put(client: Client, path: str, data: Any) -> Any:
    return client.put(path, data, content_type="application/json")


def post(client: Client, path: str, data: Any) -> Any:
    return client.post(path, data, content_type="application/json")


# --- roles -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["commander", "scribe", "communications", "operations", "Commander"]
)
def test_it_assigns_a_role(
    api: Client, incident: Incident, other_responder: User, role: str
) -> None:
    response = put(api, url(incident, f"roles/{role}"), {"user": "sam"})

    assert response.status_code == 200
    data = response.json()
    assert data["role"] == role.lower()
    assert data["user"] == "sam"
    assert data["user_name"] == "Sam"  # what the CLI prints
    assert data["assigned_by"] == "amira"
    assert data["ended_at"] is None
    entry = TimelineEvent.objects.filter(incident=incident, kind=TimelineKind.ROLE).get()
    assert entry.data == {
        "role": role.lower(),
        "from": None,
        "to": "sam",
        "from_name": None,
        "to_name": "Sam",
    }


def test_a_hand_over_is_one_call_and_keeps_history(
    api: Client, incident: Incident, responder: User, other_responder: User
) -> None:
    put(api, url(incident, "roles/commander"), {"user": "amira"})
    handed = put(api, url(incident, "roles/commander"), {"user": "sam"}).json()
    assert handed["user"] == "sam"

    roles = api.get(url(incident, "roles")).json()
    current = {item["role"]: item["user"] for item in roles["current"]}
    assert current == {
        "commander": "sam",
        "scribe": None,
        "communications": None,
        "operations": None,
    }
    assert [(item["user"], item["ended_at"] is None) for item in roles["history"]] == [
        ("amira", False),
        ("sam", True),
    ]
    texts = [e["text"] for e in api.get(url(incident, "timeline")).json()["items"]]
    assert "Incident commander handed over from Amira to Sam." in texts


def test_null_leaves_a_role_vacant(api: Client, incident: Incident, other_responder: User) -> None:
    put(api, url(incident, "roles/scribe"), {"user": "sam"})
    response = put(api, url(incident, "roles/scribe"), {"user": None})
    assert response.status_code == 200
    assert response.json() == {
        "role": "scribe",
        "role_name": "Scribe",
        "user": None,
        "user_name": None,
        "started_at": None,
        "ended_at": None,
        "assigned_by": None,
    }
    assert not RoleAssignment.objects.filter(ended_at__isnull=True).exists()


def test_assigning_the_same_holder_again_changes_nothing(
    api: Client, incident: Incident, other_responder: User
) -> None:
    put(api, url(incident, "roles/scribe"), {"user": "sam"})
    entries = TimelineEvent.objects.count()
    assert put(api, url(incident, "roles/scribe"), {"user": "sam"}).status_code == 200
    assert TimelineEvent.objects.count() == entries


def test_a_role_holder_can_then_see_a_private_incident(
    api: Client, responder: User, other_responder: User
) -> None:
    secret = services.declare_incident(actor=responder, title="Breach", private=True)
    sam = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(other_responder)}")
    assert sam.get(url(secret, "roles")).status_code == 404
    put(api, url(secret, "roles/operations"), {"user": "sam"})
    assert sam.get(url(secret, "roles")).status_code == 200


# --- participants ----------------------------------------------------------------


def test_it_adds_a_participant(api: Client, incident: Incident, other_responder: User) -> None:
    response = post(api, url(incident, "participants"), {"user": "sam"})
    assert response.status_code == 201
    assert [person["user"] for person in response.json()] == ["amira", "sam"]
    again = post(api, url(incident, "participants"), {"user": "sam"})
    assert [person["user"] for person in again.json()] == ["amira", "sam"]
    listed = api.get(url(incident, "participants")).json()
    assert listed[1] == {"user": "sam", "name": "Sam", "joined_at": listed[1]["joined_at"]}


def test_a_participant_can_see_a_private_incident(
    api: Client, responder: User, other_responder: User
) -> None:
    secret = services.declare_incident(actor=responder, title="Breach", private=True)
    sam = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(other_responder)}")
    assert sam.get(f"/api/v1/incidents/{secret.ref}").status_code == 404
    post(api, url(secret, "participants"), {"user": "sam"})
    assert sam.get(f"/api/v1/incidents/{secret.ref}").status_code == 200


# --- tasks -----------------------------------------------------------------------


def test_it_adds_and_completes_tasks(
    api: Client, incident: Incident, other_responder: User
) -> None:
    created = post(api, url(incident, "tasks"), {"title": "Check replica lag", "assignee": "sam"})
    assert created.status_code == 201
    task = created.json()
    assert (task["title"], task["status"], task["assignee"], task["done_at"]) == (
        "Check replica lag",
        "open",
        "sam",
        None,
    )

    done = post(api, url(incident, f"tasks/{task['id']}/done"), {})
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert done.json()["done_at"] is not None
    assert post(api, url(incident, f"tasks/{task['id']}/done"), {}).status_code == 200
    assert [item["status"] for item in api.get(url(incident, "tasks")).json()] == ["done"]


def test_a_task_of_another_incident_is_404(
    api: Client, incident: Incident, responder: User
) -> None:
    other = services.declare_incident(actor=responder, title="Other")
    task = services.add_task(other, actor=responder, title="Elsewhere")
    response = post(api, url(incident, f"tasks/{task.pk}/done"), {})
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.status == "open"

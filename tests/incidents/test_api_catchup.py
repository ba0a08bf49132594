from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from hotwash.accounts.services import create_api_token
from hotwash.incidents import services
from hotwash.incidents.models import Incident

pytestmark = pytest.mark.django_db

START = "2026-06-01 09:00:00+00:00"


@pytest.fixture
def running(responder: User, other_responder: User) -> Incident:
    """An incident 40 minutes into its impact, with roles, notes and tasks."""
    with time_machine.travel(START, tick=False):
        incident = services.declare_incident(
            actor=responder,
            title="Checkout fails",
            severity="SEV2",
            impact="Card payments fail for EU customers.",
            impact_started_at=timezone.now() - timedelta(minutes=10),
        )
    with time_machine.travel("2026-06-01 09:05:00+00:00", tick=False):
        services.assign_role(incident, actor=responder, role="commander", user=responder)
        services.assign_role(incident, actor=responder, role="scribe", user=other_responder)
        services.add_timeline_event(incident, actor=responder, body="Payments API returns 502.")
    with time_machine.travel("2026-06-01 09:10:00+00:00", tick=False):
        services.update_incident(incident, actor=responder, changes={"status": "identified"})
        services.add_timeline_event(
            incident,
            actor=other_responder,
            body="Roll back the 08:55 deploy.",
            kind="decision",
            key_moment=True,
        )
        done = services.add_task(incident, actor=responder, title="Roll back")
        services.add_task(incident, actor=responder, title="Tell support", assignee=other_responder)
        services.complete_task(done, actor=responder)
    return incident


def catchup(client: Client, incident: Incident, **headers: Any) -> Any:
    with time_machine.travel("2026-06-01 09:30:00+00:00", tick=False):
        response = client.get(f"/api/v1/incidents/{incident.ref}/catchup", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_it_says_where_things_stand(api: Client, running: Incident) -> None:
    data = catchup(api, running)

    assert data["id"] == running.ref
    assert data["title"] == "Checkout fails"
    assert data["url"].endswith(f"/incidents/{running.ref}/")
    assert (data["status"], data["status_name"]) == ("identified", "Identified")
    assert data["status_since"] == "2026-06-01T09:10:00Z"
    assert data["for_seconds"] == 20 * 60
    assert (data["severity"], data["severity_name"], data["severity_label"]) == (2, "Major", "SEV2")
    assert data["severity_description"].startswith("A user-visible feature")
    assert data["impact_started_at"] == "2026-06-01T08:50:00Z"
    assert data["impact_seconds"] == 40 * 60
    assert data["impact"] == "Card payments fail for EU customers."
    assert data["roles"] == {
        "commander": "amira",
        "scribe": "sam",
        "communications": None,
        "operations": None,
    }


def test_it_lists_key_moments_latest_updates_and_open_tasks(api: Client, running: Incident) -> None:
    data = catchup(api, running)

    assert [moment["kind"] for moment in data["key_moments"]] == [
        "declared",
        "role",
        "status",
        "decision",
    ]
    assert data["key_moments"][-1]["author"] == "sam"
    assert len(data["latest"]) == 5
    assert data["latest"][0]["text"] == "Roll back the 08:55 deploy."
    occurred = [entry["occurred_at"] for entry in data["latest"]]
    assert occurred == sorted(occurred, reverse=True)
    assert [(task["title"], task["assignee"]) for task in data["open_tasks"]] == [
        ("Tell support", "sam")
    ]


def test_its_summary_reads_as_a_paragraph(api: Client, running: Incident) -> None:
    summary = catchup(api, running)["summary"]

    assert summary.startswith(
        f"{running.ref}, Checkout fails: SEV2 (Major), Identified for 20 min."
    )
    assert "Impact began 40 min ago." in summary
    assert "Impact: Card payments fail for EU customers." in summary
    assert "Amira is the incident commander." in summary
    assert "Scribe: Sam" in summary
    assert "1 task is open." in summary
    assert summary.endswith("Roll back the 08:55 deploy.")


def test_a_fresh_incident_has_a_short_catchup(api: Client, responder: User) -> None:
    with time_machine.travel(START, tick=False):
        incident = services.declare_incident(actor=responder, title="Disk full")
    data = catchup(api, incident)
    assert data["roles"]["commander"] is None
    assert data["open_tasks"] == []
    assert len(data["latest"]) == 1
    assert data["impact_seconds"] == 30 * 60
    assert "Nobody is the incident commander yet." in data["summary"]
    assert "No tasks are open." in data["summary"]


def test_a_resolved_incident_says_how_long_the_impact_lasted(
    api: Client, running: Incident, responder: User
) -> None:
    with time_machine.travel("2026-06-01 09:20:00+00:00", tick=False):
        services.update_incident(running, actor=responder, changes={"status": "resolved"})
    data = catchup(api, running)
    assert data["impact_seconds"] == 30 * 60
    assert "Impact lasted 30 min." in data["summary"]


def test_it_follows_the_requested_language(api: Client, running: Incident) -> None:
    data = catchup(api, running, HTTP_ACCEPT_LANGUAGE="fr")
    assert data["severity_name"] == "Majeur"
    assert data["severity_description"].startswith("Une fonctionnalité")
    assert "(Majeur)" in data["summary"]
    assert data["url"].startswith("http://testserver/fr/")


def test_it_takes_a_fixed_number_of_queries(
    api: Client,
    running: Incident,
    responder: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    catchup(api, running)
    with django_assert_max_num_queries(8) as few:
        catchup(api, running)
    for index in range(30):
        services.add_timeline_event(running, actor=responder, body=f"Note {index}", key_moment=True)
        services.add_task(running, actor=responder, title=f"Task {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        catchup(api, running)


def test_a_private_incident_has_no_catchup_for_outsiders(
    api: Client, responder: User, other_responder: User
) -> None:
    secret = services.declare_incident(actor=responder, title="Breach", private=True)
    outsider = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(other_responder)}")
    assert outsider.get(f"/api/v1/incidents/{secret.ref}/catchup").status_code == 404
    assert api.get(f"/api/v1/incidents/{secret.ref}/catchup").status_code == 200

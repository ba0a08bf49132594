"""An incident's version: a whole number that every change to the incident
itself (its fields, status, severity, privacy, services, times, roles)
raises by one. The API shows it, sends it as the ETag, and refuses a change
made against an older one (If-Match, 412); the incident page's forms send
the version they were rendered with, and a stale one is refused with a
message that says why. Timeline entries, tasks and participants do not
change it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.core.models import AuditRecord
from hotwash.incidents import services
from hotwash.incidents.models import Incident, RoleAssignment, TimelineEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(responder: User) -> Incident:
    return services.declare_incident(actor=responder, title="Checkout fails", severity=3)


def url(incident: Incident) -> str:
    return f"/api/v1/incidents/{incident.ref}"


def patch(client: Client, incident: Incident, data: Any, **headers: Any) -> Any:
    return client.patch(url(incident), data, content_type="application/json", **headers)


def version_of(incident: Incident) -> int:
    return Incident.objects.values_list("version", flat=True).get(pk=incident.pk)


# --- the service ----------------------------------------------------------------


def test_a_new_incident_is_at_version_1(incident: Incident) -> None:
    assert version_of(incident) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "identified"},
        {"severity": 1},
        {"private": True},
        {"summary": "Payments time out"},
        {"impact": "Nobody can pay"},
        {"title": "Checkout fails for everyone"},
        {"services": ["shop"]},
        {"detection_source": "customer"},
        {"impact_started_at": datetime(2020, 1, 1, tzinfo=UTC)},
    ],
)
def test_every_change_of_a_field_raises_the_version_by_one(
    incident: Incident, responder: User, changes: dict[str, Any]
) -> None:
    updated = services.update_incident(incident, actor=responder, changes=changes)
    assert version_of(incident) == 2
    assert updated.version == 2


def test_a_change_to_the_same_values_keeps_the_version(incident: Incident, responder: User) -> None:
    services.update_incident(incident, actor=responder, changes={"severity": 3})
    assert version_of(incident) == 1


def test_a_role_change_raises_the_version(
    incident: Incident, responder: User, other_responder: User
) -> None:
    services.assign_role(incident, actor=responder, role="commander", user=responder)
    assert version_of(incident) == 2
    services.assign_role(incident, actor=responder, role="commander", user=other_responder)
    assert version_of(incident) == 3
    services.assign_role(incident, actor=responder, role="commander", user=None)
    assert version_of(incident) == 4
    # Giving the role to whoever already holds it changes nothing.
    services.assign_role(incident, actor=responder, role="scribe", user=responder)
    services.assign_role(incident, actor=responder, role="scribe", user=responder)
    assert version_of(incident) == 5


def test_notes_tasks_and_participants_keep_the_version(
    incident: Incident, responder: User, other_responder: User
) -> None:
    services.add_timeline_event(incident, actor=responder, body="Restarting the pods")
    task = services.add_task(incident, actor=responder, title="Check replica lag")
    services.complete_task(task, actor=responder)
    services.add_participant(incident, actor=responder, user=other_responder)
    assert version_of(incident) == 1


def test_a_change_made_against_an_older_version_is_refused_and_writes_nothing(
    incident: Incident, responder: User
) -> None:
    services.update_incident(incident, actor=responder, changes={"severity": 2})
    entries, audits = TimelineEvent.objects.count(), AuditRecord.objects.count()
    with pytest.raises(services.StaleVersion) as refused:
        services.update_incident(
            incident, actor=responder, changes={"status": "monitoring"}, expected_version=1
        )
    assert refused.value.current == 2
    assert "changed" in refused.value.message
    incident.refresh_from_db()
    assert (incident.status, incident.version) == ("investigating", 2)
    assert (TimelineEvent.objects.count(), AuditRecord.objects.count()) == (entries, audits)


def test_a_role_change_against_an_older_version_is_refused(
    incident: Incident, responder: User
) -> None:
    services.update_incident(incident, actor=responder, changes={"severity": 2})
    with pytest.raises(services.StaleVersion):
        services.assign_role(
            incident, actor=responder, role="commander", user=responder, expected_version=1
        )
    assert not RoleAssignment.objects.exists()
    services.assign_role(
        incident, actor=responder, role="commander", user=responder, expected_version=2
    )
    assert version_of(incident) == 3


# --- the API --------------------------------------------------------------------


def test_the_api_shows_the_version_and_sends_it_as_the_etag(
    api: Client, incident: Incident
) -> None:
    response = api.get(url(incident))
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert response["ETag"] == '"1"'
    listed = api.get("/api/v1/incidents").json()["items"]
    assert listed[0]["version"] == 1


def test_a_patch_without_if_match_changes_as_before_and_raises_the_version(
    api: Client, incident: Incident
) -> None:
    response = patch(api, incident, {"severity": 2})
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'


@pytest.mark.parametrize("header", ['"1"', "1", 'W/"1"', "*"])
def test_a_patch_with_the_current_version_is_applied(
    api: Client, incident: Incident, header: str
) -> None:
    response = patch(api, incident, {"severity": 1}, HTTP_IF_MATCH=header)
    assert response.status_code == 200, response.content
    assert response.json()["severity"] == 1
    assert version_of(incident) == 2


def test_a_patch_with_an_older_version_answers_412_with_the_current_one(
    api: Client, incident: Incident, responder: User
) -> None:
    services.update_incident(incident, actor=responder, changes={"summary": "Payments"})
    response = patch(api, incident, {"summary": "Mine"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    body = response.json()
    assert body["version"] == 2
    assert body["message"]
    assert body["field"] == "If-Match"
    assert body["errors"] == [{"field": "If-Match", "message": body["message"]}]
    assert response["ETag"] == '"2"'
    incident.refresh_from_db()
    assert incident.summary == "Payments"


def test_a_malformed_if_match_is_refused_and_changes_nothing(
    api: Client, incident: Incident
) -> None:
    response = patch(api, incident, {"severity": 1}, HTTP_IF_MATCH="yesterday")
    assert response.status_code == 422
    assert response.json()["field"] == "If-Match"
    assert version_of(incident) == 1


def test_the_412_answer_is_documented(api: Client) -> None:
    document = api.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/incidents/{ref}"]["patch"]
    assert "412" in operation["responses"]
    names = [parameter["name"] for parameter in operation.get("parameters", [])]
    assert "If-Match" in names


def test_a_role_put_honours_if_match(api: Client, incident: Incident, responder: User) -> None:
    services.update_incident(incident, actor=responder, changes={"severity": 2})
    stale = api.put(
        f"{url(incident)}/roles/commander",
        {"user": "amira"},
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    assert stale.status_code == 412
    assert stale.json()["version"] == 2
    assert not RoleAssignment.objects.exists()


# --- the incident page ------------------------------------------------------------


def hidden_versions(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="version" value="(\d+)"', html)


def test_every_form_that_changes_the_incident_carries_the_rendered_version(
    responder_client: Client, incident: Incident, responder: User
) -> None:
    services.update_incident(incident, actor=responder, changes={"severity": 2})
    html = responder_client.get(f"/en/incidents/{incident.ref}/").content.decode()
    forms = re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    versioned = {
        action.split("/")[-2] for action, body in forms if 'name="version" value="2"' in body
    }
    # status, details (summary, impact, severity, times, privacy), roles
    assert {"status", "details", "take", "assign"} <= versioned
    assert set(hidden_versions(html)) == {"2"}


def test_a_stale_status_change_from_the_page_is_refused_with_a_message(
    responder_client: Client, incident: Incident, other_responder: User
) -> None:
    services.update_incident(incident, actor=other_responder, changes={"severity": 1})
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/status/", {"status": "resolved", "version": "1"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed this incident since" in html
    incident.refresh_from_db()
    assert incident.status == "investigating"
    # The page shown again carries the current version, so a second try
    # after reading the latest goes through.
    assert "2" in hidden_versions(html)
    again = responder_client.post(
        f"/en/incidents/{incident.ref}/status/", {"status": "resolved", "version": "2"}
    )
    assert again.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_a_status_change_without_a_version_works_as_before(
    responder_client: Client, incident: Incident
) -> None:
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/status/", {"status": "monitoring"}
    )
    assert response.status_code == 302
    assert version_of(incident) == 2


def test_a_stale_details_form_keeps_what_was_typed_and_saves_nothing(
    responder_client: Client, incident: Incident, other_responder: User
) -> None:
    services.update_incident(incident, actor=other_responder, changes={"summary": "Theirs"})
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/details/",
        {
            "title": "Checkout fails",
            "initial-title": "Checkout fails",
            "summary": "Mine",
            "initial-summary": "",
            "version": "1",
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed this incident since" in html
    assert "Mine" in html
    incident.refresh_from_db()
    assert incident.summary == "Theirs"


def test_stale_role_forms_are_refused(
    responder_client: Client, incident: Incident, other_responder: User, responder: User
) -> None:
    services.update_incident(incident, actor=other_responder, changes={"severity": 1})
    take = responder_client.post(
        f"/en/incidents/{incident.ref}/roles/take/", {"role": "commander", "version": "1"}
    )
    assert take.status_code == 302  # the one-click forms answer with a message
    page = responder_client.get(f"/en/incidents/{incident.ref}/").content.decode()
    assert "changed this incident since" in page
    assign = responder_client.post(
        f"/en/incidents/{incident.ref}/roles/assign/",
        {"role": "scribe", "user": "sam", "version": "1"},
    )
    assert assign.status_code == 409
    assert "changed this incident since" in assign.content.decode()
    assert not RoleAssignment.objects.exists()
    services.assign_role(incident, actor=responder, role="operations", user=responder)
    step_down = responder_client.post(
        f"/en/incidents/{incident.ref}/roles/step-down/", {"role": "operations", "version": "2"}
    )
    assert step_down.status_code == 302
    assert RoleAssignment.objects.filter(role="operations", ended_at__isnull=True).exists()


def test_a_malformed_version_from_a_form_is_refused(
    responder_client: Client, incident: Incident
) -> None:
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/status/", {"status": "monitoring", "version": "x"}
    )
    assert response.status_code == 422
    incident.refresh_from_db()
    assert incident.status == "investigating"

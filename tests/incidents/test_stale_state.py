"""A status or severity change says what it was chosen from, and is refused
when the incident has moved on meanwhile (someone else changed it while a
page or a script had not caught up): nothing changes, and the answer says
what happened (a form error on the page, 409 from the API)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.core.errors import InvalidInput
from hotwash.incidents import services
from hotwash.incidents.models import Incident, TimelineKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(responder: User) -> Incident:
    return services.declare_incident(actor=responder, title="Checkout fails", severity=3)


def status_changes(incident: Incident) -> int:
    return incident.timeline.filter(kind=TimelineKind.STATUS).count()


def patch(client: Client, incident: Incident, data: Any) -> Any:
    return client.patch(f"/api/v1/incidents/{incident.ref}", data, content_type="application/json")


# --- the service ----------------------------------------------------------------


def test_a_status_change_from_a_status_it_no_longer_has_is_refused(
    incident: Incident, responder: User, other_responder: User
) -> None:
    services.set_status(incident, actor=other_responder, status="identified")
    with pytest.raises(services.StaleState) as refused:
        services.set_status(
            incident, actor=responder, status="investigating", expected_status="investigating"
        )
    assert refused.value.field == "status"
    assert refused.value.status_code == 409
    assert "The status changed to Identified since you loaded this page" in refused.value.message
    incident.refresh_from_db()
    assert incident.status == "identified"
    assert status_changes(incident) == 1


def test_a_status_change_from_the_current_status_goes_through_whatever_else_changed(
    incident: Incident, responder: User, other_responder: User
) -> None:
    services.update_incident(incident, actor=other_responder, changes={"title": "Checkout down"})
    services.set_status(
        incident, actor=responder, status="monitoring", expected_status="Investigating"
    )
    incident.refresh_from_db()
    assert incident.status == "monitoring"


def test_a_severity_change_from_a_severity_it_no_longer_has_is_refused(
    incident: Incident, responder: User, other_responder: User
) -> None:
    services.update_incident(incident, actor=other_responder, changes={"severity": 1})
    with pytest.raises(services.StaleState, match="The severity changed to SEV1"):
        services.update_incident(
            incident, actor=responder, changes={"severity": 2}, expected={"severity": "SEV3"}
        )
    incident.refresh_from_db()
    assert incident.severity == 1


def test_only_status_and_severity_can_be_expected(incident: Incident, responder: User) -> None:
    with pytest.raises(InvalidInput):
        services.update_incident(
            incident, actor=responder, changes={"title": "x"}, expected={"title": "Checkout"}
        )


# --- the incident page ------------------------------------------------------------


def test_the_status_form_sends_the_status_it_shows(
    responder_client: Client, incident: Incident
) -> None:
    html = responder_client.get(f"/en/incidents/{incident.ref}/").content.decode()
    form = re.search(r'<form [^>]*id="status"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None
    assert '<input type="hidden" name="expected_status" value="investigating">' in form[1]
    # The form is a live region of its own, so it follows a live update.
    region = html.split('data-live-region="status-form"')[1].split("</form>")[0]
    assert 'id="status"' in region


def test_a_status_change_chosen_before_someone_else_moved_it_is_refused(
    responder_client: Client, incident: Incident, other_responder: User
) -> None:
    services.set_status(incident, actor=other_responder, status="identified")
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/status/",
        {"status": "investigating", "expected_status": "investigating"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="status_status_error"' in html
    assert "The status changed to Identified since you loaded this page" in html
    incident.refresh_from_db()
    assert incident.status == "identified"
    assert status_changes(incident) == 1
    # The page shown again is the latest: the form now expects Identified,
    # keeps it (data-live-keep) and keeps the person's choice to decide again.
    assert '<input type="hidden" name="expected_status" value="identified">' in html
    assert re.search(r'<form [^>]*id="status"[^>]*data-live-keep', html)


def test_a_status_change_chosen_from_the_current_status_goes_through(
    responder_client: Client, incident: Incident
) -> None:
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/status/",
        {"status": "identified", "expected_status": "investigating"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "identified"


def test_a_severity_chosen_before_someone_else_changed_it_is_refused(
    responder_client: Client, incident: Incident, other_responder: User
) -> None:
    services.update_incident(incident, actor=other_responder, changes={"severity": 1})
    # The details form as it was rendered before: severity 3 shown, 2 chosen.
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/details/",
        {"title": "Checkout fails", "initial-title": "Checkout fails"}
        | {"severity": "2", "initial-severity": "3"},
    )
    assert response.status_code == 409
    assert "The severity changed to SEV1 since you loaded this page" in response.content.decode()
    incident.refresh_from_db()
    assert incident.severity == 1


def test_the_french_page_says_it_in_french(
    responder: User, incident: Incident, other_responder: User
) -> None:
    services.set_status(incident, actor=other_responder, status="identified")
    client = Client()
    client.force_login(responder)
    response = client.post(
        f"/fr/incidents/{incident.ref}/status/",
        {"status": "resolved", "expected_status": "investigating"},
    )
    assert response.status_code == 409
    assert "Le statut est passé à Cause identifiée" in response.content.decode()


# --- the API ----------------------------------------------------------------------


def test_the_api_refuses_a_change_from_a_status_the_incident_no_longer_has(
    api: Client, incident: Incident, other_responder: User
) -> None:
    services.set_status(incident, actor=other_responder, status="identified")
    response = patch(api, incident, {"status": "resolved", "expected_status": "investigating"})
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "status"
    assert "The status changed to Identified" in body["message"]
    incident.refresh_from_db()
    assert incident.status == "identified"


def test_the_api_applies_a_change_from_the_current_state(api: Client, incident: Incident) -> None:
    response = patch(
        api,
        incident,
        {"status": "monitoring", "expected_status": "investigating", "expected_severity": 3},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "monitoring"


def test_the_api_refuses_a_severity_change_from_an_older_severity(
    api: Client, incident: Incident, other_responder: User
) -> None:
    services.update_incident(incident, actor=other_responder, changes={"severity": 2})
    response = patch(api, incident, {"severity": 1, "expected_severity": "SEV3"})
    assert response.status_code == 409
    assert response.json()["field"] == "severity"
    incident.refresh_from_db()
    assert incident.severity == 2

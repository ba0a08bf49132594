"""How an incident was detected: never claimed by a declaration that did
not say, asked once on the incident page, answered through
`record_detection` (timeline entry and audit record), and the rename of
"person" to "staff" for incidents recorded before."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client
from django.utils.html import escape

from hotwash.core.errors import Conflict, InvalidInput, NotFound
from hotwash.core.models import AuditRecord
from hotwash.incidents import services
from hotwash.incidents.models import DetectionSource, Incident, TimelineEvent, TimelineKind

pytestmark = pytest.mark.django_db

QUESTION = {"en": "How was it detected?", "fr": "Comment a-t-il été détecté ?"}


def _chosen_in_select(html: str, name: str) -> str:
    """The value a browser sends for a select left as the page showed it:
    the selected option, or the first."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    options = re.findall(r'<option value="([^"]*)"( selected)?>', select.group(1))
    chosen: str = next((value for value, selected in options if selected), options[0][0])
    return chosen


def _declare_with_one_field(client: Client, language: str) -> Incident:
    """Type a title, press Declare: the other fields go as the page showed them."""
    home = client.get(f"/{language}/").content.decode()
    detection = _chosen_in_select(home, "detection_source")
    client.post(f"/{language}/", {"title": "Exports are empty", "detection_source": detection})
    return Incident.objects.get()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_one_field_declaration_records_no_detection_and_asks(
    responder_client: Client, language: str
) -> None:
    incident = _declare_with_one_field(responder_client, language)
    assert incident.detection_source == ""
    html = responder_client.get(f"/{language}/incidents/{incident.ref}/").content.decode()
    assert 'id="detection"' in html and QUESTION[language] in html
    assert f'action="/{language}/incidents/{incident.ref}/detection/#detection"' in html
    for value in ("alert", "customer", "staff", "monitoring-gap", "other"):
        assert f'value="{value}"' in html


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Detection recorded: Staff."), ("fr", "Détection enregistrée : Personnel.")],
)
def test_answering_records_the_detection_on_the_timeline_and_in_the_audit(
    responder_client: Client, responder: User, language: str, message: str
) -> None:
    incident = services.declare_incident(actor=responder, title="Exports are empty")
    url = f"/{language}/incidents/{incident.ref}/detection/"
    response = responder_client.post(url, {"detection_source": "staff"}, follow=True)
    html = response.content.decode()
    assert message in html
    assert 'id="detection"' not in html  # answered: no longer asked
    incident.refresh_from_db()
    assert incident.detection_source == DetectionSource.STAFF
    entry = incident.timeline.get(kind=TimelineKind.UPDATE)
    assert entry.data == {"field": "detection_source", "from": "", "to": "staff"}
    assert entry.author == responder
    audit = AuditRecord.objects.get(action="incident.updated", object_id=str(incident.pk))
    assert audit.changes == {"detection_source": {"from": "", "to": "staff"}}


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Choose how it was detected."), ("fr", "Choisissez comment il a été détecté.")],
)
def test_an_empty_answer_says_what_is_missing(
    responder_client: Client, responder: User, language: str, message: str
) -> None:
    incident = services.declare_incident(actor=responder, title="Exports are empty")
    response = responder_client.post(f"/{language}/incidents/{incident.ref}/detection/", {})
    assert response.status_code == 422
    assert message in response.content.decode()
    incident.refresh_from_db()
    assert incident.detection_source == ""


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Someone already recorded how it was detected: Customer report."),
        ("fr", "Quelqu'un a déjà indiqué comment il a été détecté : Signalement client."),
    ],
)
def test_a_second_answer_is_refused_and_names_the_first(
    responder_client: Client, responder: User, other_responder: User, language: str, message: str
) -> None:
    incident = services.declare_incident(actor=responder, title="Exports are empty")
    services.record_detection(incident, actor=other_responder, detection_source="customer")
    url = f"/{language}/incidents/{incident.ref}/detection/"
    response = responder_client.post(url, {"detection_source": "alert"})
    assert response.status_code == 409
    html = response.content.decode()
    assert escape(message) in html
    assert 'id="detection"' not in html  # answered: no longer asked
    incident.refresh_from_db()
    assert incident.detection_source == DetectionSource.CUSTOMER


def test_it_is_not_asked_when_the_declaration_said(
    responder_client: Client, responder: User
) -> None:
    incident = services.declare_incident(
        actor=responder, title="Exports are empty", detection_source="customer"
    )
    html = responder_client.get(f"/en/incidents/{incident.ref}/").content.decode()
    assert 'id="detection"' not in html


def test_viewers_are_not_asked_and_cannot_answer(responder: User, viewer: User) -> None:
    incident = services.declare_incident(actor=responder, title="Exports are empty")
    client = Client()
    client.force_login(viewer)
    assert 'id="detection"' not in client.get(f"/en/incidents/{incident.ref}/").content.decode()
    response = client.post(f"/en/incidents/{incident.ref}/detection/", {"detection_source": "x"})
    assert response.status_code == 403


def test_the_service_checks_the_answer_and_who_gives_it(
    responder: User, other_responder: User
) -> None:
    incident = services.declare_incident(actor=responder, title="Leak", private=True)
    with pytest.raises(InvalidInput):
        services.record_detection(incident, actor=responder, detection_source="psychic")
    with pytest.raises(NotFound):  # a private incident stays unknown to outsiders
        services.record_detection(incident, actor=other_responder, detection_source="alert")
    services.record_detection(incident, actor=responder, detection_source="Monitoring-Gap")
    incident.refresh_from_db()
    assert incident.detection_source == DetectionSource.MONITORING_GAP
    with pytest.raises(Conflict):
        services.record_detection(incident, actor=responder, detection_source="alert")


def test_the_api_leaves_it_unrecorded_and_still_understands_person(api: Client) -> None:
    untold = api.post("/api/v1/incidents", {"title": "x"}, content_type="application/json")
    assert untold.json()["detection_source"] == ""
    old_name = api.post(
        "/api/v1/incidents",
        {"title": "y", "detection_source": "person"},
        content_type="application/json",
    )
    assert old_name.json()["detection_source"] == "staff"
    refused = api.post(
        "/api/v1/incidents",
        {"title": "z", "detection_source": "psychic"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert "alert, customer, staff, monitoring-gap, other" in refused.json()["message"]


def test_the_migration_renames_person_to_staff(responder: User) -> None:
    migration = importlib.import_module("hotwash.incidents.migrations.0008_detection_sources")
    incident = services.declare_incident(actor=responder, title="Old")
    Incident.objects.filter(pk=incident.pk).update(detection_source="person")
    entry = TimelineEvent.objects.create(
        incident=incident,
        kind=TimelineKind.UPDATE,
        occurred_at=incident.declared_at,
        recorded_at=incident.declared_at,
        data={"field": "detection_source", "from": "alert", "to": "person"},
    )
    migration.forwards(apps, None)
    incident.refresh_from_db()
    entry.refresh_from_db()
    assert incident.detection_source == "staff"
    assert entry.data == {"field": "detection_source", "from": "alert", "to": "staff"}
    migration.backwards(apps, None)
    incident.refresh_from_db()
    assert incident.detection_source == "person"

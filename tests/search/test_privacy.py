"""A private incident's words never match for someone who cannot see it:
not its title, timeline, postmortem, action items or alert groups, not
even as a count. Its participants and the admins find them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.actions.services import create_action_item
from hotwash.incidents.models import Incident
from hotwash.incidents.services import add_timeline_event, declare_incident, update_incident
from hotwash.search.queries import SearchParams, search
from tests.search.helpers import alert_group, postmortem_for, refs, write_section

pytestmark = pytest.mark.django_db

SECRET = "Xylophagous"


@pytest.fixture
def private(responder: User) -> Incident:
    incident = declare_incident(actor=responder, title="Payroll export", private=True)
    add_timeline_event(incident, actor=responder, body=f"The {SECRET} script copied salaries.")
    postmortem = postmortem_for(incident, responder)
    write_section(
        postmortem, responder, "summary", "fr", f"Le script {SECRET} a copié les salaires."
    )
    create_action_item(
        actor=responder, title=f"Remove the {SECRET} script", owner=responder, incident=incident
    )
    alert_group(incident, {"alertname": SECRET})
    return incident


def test_an_outsider_finds_nothing_not_even_a_count(
    private: Incident, other_responder: User
) -> None:
    found = search(other_responder, SearchParams(text=SECRET))

    assert found.items == [] and found.count == 0
    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(other_responder)}")
    answer = client.get("/api/v1/search", {"q": SECRET}).json()
    assert answer["items"] == [] and answer["count"] == 0
    client.force_login(other_responder)
    page = client.get("/en/search/", {"q": SECRET}).content.decode()
    assert "0 results" in page and "Payroll" not in page


def test_a_participant_and_an_admin_find_every_kind(
    private: Incident, responder: User, admin_user: User
) -> None:
    for user in (responder, admin_user):
        found = search(user, SearchParams(text=SECRET))
        assert {r.kind for r in found.items} == {
            "incident",
            "postmortem",
            "action_item",
            "alert_group",
        }


def test_making_an_incident_private_hides_what_belongs_to_it(responder: User, viewer: User) -> None:
    incident = declare_incident(actor=responder, title="Quokka outage")
    create_action_item(actor=responder, title="Feed the quokka", owner=responder, incident=incident)
    assert len(refs(viewer, "quokka")) == 2

    update_incident(incident, actor=responder, changes={"private": True})
    assert refs(viewer, "quokka") == []
    assert len(refs(responder, "quokka")) == 2

    update_incident(incident, actor=responder, changes={"private": False})
    assert len(refs(viewer, "quokka")) == 2


def test_someone_signed_out_finds_nothing(private: Incident) -> None:
    assert search(AnonymousUser(), SearchParams(text=SECRET)).items == []
    assert Client().get("/api/v1/search", {"q": SECRET}).status_code == 401
    assert Client().get("/en/search/", {"q": SECRET}).status_code == 302

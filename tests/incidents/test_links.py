"""Links between incidents: the API, the service's records, the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from hotwash.accounts.services import create_api_token
from hotwash.core.models import AuditRecord
from hotwash.incidents import linking
from hotwash.incidents import services as incidents
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import Incident, IncidentLink, TimelineKind

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)}")


@pytest.fixture
def cause(responder: User) -> Incident:
    return incidents.declare_incident(actor=responder, title="Database failover", severity=2)


@pytest.fixture
def effect(responder: User) -> Incident:
    return incidents.declare_incident(actor=responder, title="Checkout errors", severity=2)


@pytest.fixture
def secret(other_responder: User) -> Incident:
    """A private incident the responder (amira) is not part of."""
    return incidents.declare_incident(
        actor=other_responder, title="Payroll export leaked", private=True
    )


def link_entries(incident: Incident) -> list[str]:
    return [describe_event(e) for e in incident.timeline.filter(kind=TimelineKind.LINK)]


# --- the API ---------------------------------------------------------------------


def test_it_links_with_caused_by_and_answers_201_with_the_link(
    api: Client, cause: Incident, effect: Incident
) -> None:
    response = post(
        api, f"/api/v1/incidents/{effect.ref}/links", {"to": cause.ref, "kind": "caused_by"}
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    link = IncidentLink.objects.get()
    assert (link.source_id, link.target_id, link.kind) == (effect.pk, cause.pk, "caused_by")
    assert data["id"] == link.pk
    assert data["kind"] == "caused_by"
    assert data["direction"] == "outgoing"
    assert data["text"] == f"Caused by {cause.ref}"
    assert data["incident"] == cause.ref
    assert data["title"] == "Database failover"
    assert data["created_by"] == "amira"
    assert data["url"].endswith(f"/en/incidents/{cause.ref}/")


def test_both_ends_list_the_link_from_their_side(
    api: Client, cause: Incident, effect: Incident, responder: User
) -> None:
    linking.link_incidents(effect, actor=responder, to=cause, kind="caused_by")

    from_effect = api.get(f"/api/v1/incidents/{effect.ref}/links").json()
    from_cause = api.get(f"/api/v1/incidents/{cause.ref}/links").json()

    assert [(x["text"], x["direction"]) for x in from_effect] == [
        (f"Caused by {cause.ref}", "outgoing")
    ]
    assert [(x["text"], x["direction"]) for x in from_cause] == [
        (f"Caused {effect.ref}", "incoming")
    ]


def test_related_is_the_default_kind(api: Client, cause: Incident, effect: Incident) -> None:
    response = post(api, f"/api/v1/incidents/{effect.ref}/links", {"to": str(cause.pk)})

    assert response.status_code == 201
    assert response.json()["text"] == f"Related to {cause.ref}"


def test_each_end_gets_a_timeline_entry_and_the_link_an_audit_record(
    api: Client, cause: Incident, effect: Incident
) -> None:
    post(api, f"/api/v1/incidents/{effect.ref}/links", {"to": cause.ref, "kind": "caused_by"})

    assert link_entries(effect) == [f"Linked: caused by {cause.ref}."]
    assert link_entries(cause) == [f"Linked: caused {effect.ref}."]
    record = AuditRecord.objects.get(action="incident.linked")
    assert record.actor is not None and record.actor.username == "amira"
    assert record.changes == {"source": effect.ref, "target": cause.ref, "kind": "caused_by"}


def test_timeline_entries_read_in_french(
    responder: User, cause: Incident, effect: Incident
) -> None:
    linking.link_incidents(effect, actor=responder, to=cause, kind="caused_by")

    with translation.override("fr"):
        assert link_entries(effect) == [f"Lié : causé par {cause.ref}."]
        assert link_entries(cause) == [f"Lié : a causé {effect.ref}."]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "INC-1", "kind": "blocks"}, "kind"),
        ({"to": "not a ref"}, "to"),
        ({"to": "  "}, "to"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    api: Client, effect: Incident, body: dict[str, str], field: str
) -> None:
    response = post(api, f"/api/v1/incidents/{effect.ref}/links", body)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not IncidentLink.objects.exists()


def test_linking_to_itself_is_422(api: Client, effect: Incident) -> None:
    response = post(api, f"/api/v1/incidents/{effect.ref}/links", {"to": effect.ref})

    assert response.status_code == 422
    assert response.json() == {
        "message": "An incident cannot be linked to itself.",
        "field": "to",
        "errors": [{"field": "to", "message": "An incident cannot be linked to itself."}],
    }


@pytest.mark.parametrize("kind", ["related", "caused_by"])
def test_a_second_link_between_the_same_two_is_409(
    api: Client, responder: User, cause: Incident, effect: Incident, kind: str
) -> None:
    linking.link_incidents(effect, actor=responder, to=cause, kind="caused_by")

    # Either direction, either kind: one link per pair.
    response = post(api, f"/api/v1/incidents/{cause.ref}/links", {"to": effect.ref, "kind": kind})

    assert response.status_code == 409
    assert response.json()["message"] == (
        f"{cause.ref} and {effect.ref} are already linked (Caused {effect.ref}). "
        "Remove that link first to link them another way."
    )
    assert IncidentLink.objects.count() == 1
    assert len(link_entries(cause)) == 1


def test_an_incident_the_caller_cannot_see_is_404_either_way(
    api: Client, effect: Incident, secret: Incident
) -> None:
    to_secret = post(api, f"/api/v1/incidents/{effect.ref}/links", {"to": secret.ref})
    from_secret = post(api, f"/api/v1/incidents/{secret.ref}/links", {"to": effect.ref})
    missing = post(api, f"/api/v1/incidents/{effect.ref}/links", {"to": "INC-987654"})

    assert to_secret.status_code == from_secret.status_code == missing.status_code == 404
    assert to_secret.json()["message"] == f"No incident {secret.ref}."
    assert not IncidentLink.objects.exists()
    assert not secret.timeline.filter(kind=TimelineKind.LINK).exists()


def test_viewers_cannot_link(viewer: User, cause: Incident, effect: Incident) -> None:
    response = post(
        token_client(viewer), f"/api/v1/incidents/{effect.ref}/links", {"to": cause.ref}
    )

    assert response.status_code == 403
    assert not IncidentLink.objects.exists()


def test_links_to_hidden_incidents_are_left_out_of_the_list(
    other_responder: User, responder: User, effect: Incident, secret: Incident
) -> None:
    linking.link_incidents(secret, actor=other_responder, to=effect, kind="caused_by")

    mine = token_client(responder).get(f"/api/v1/incidents/{effect.ref}/links").json()
    theirs = token_client(other_responder).get(f"/api/v1/incidents/{effect.ref}/links").json()

    assert mine == []
    assert [x["text"] for x in theirs] == [f"Caused {secret.ref}"]
    # The public incident's timeline does not name the private one either.
    assert link_entries(effect) == ["Linked: caused a private incident."]


def test_it_removes_a_link_from_either_end(
    api: Client, responder: User, cause: Incident, effect: Incident
) -> None:
    link = linking.link_incidents(effect, actor=responder, to=cause, kind="related")

    response = api.delete(f"/api/v1/incidents/{cause.ref}/links/{link.pk}")

    assert response.status_code == 204
    assert not IncidentLink.objects.exists()
    assert link_entries(cause)[-1] == f"Link removed: no longer related to {effect.ref}."
    assert link_entries(effect)[-1] == f"Link removed: no longer related to {cause.ref}."
    assert AuditRecord.objects.filter(action="incident.unlinked").count() == 1


def test_removing_a_link_of_another_incident_or_a_hidden_one_is_404(
    api: Client,
    responder: User,
    other_responder: User,
    cause: Incident,
    effect: Incident,
    secret: Incident,
) -> None:
    link = linking.link_incidents(effect, actor=responder, to=cause, kind="related")
    hidden = linking.link_incidents(secret, actor=other_responder, to=effect, kind="related")
    other = incidents.declare_incident(actor=responder, title="Unrelated")

    assert api.delete(f"/api/v1/incidents/{other.ref}/links/{link.pk}").status_code == 404
    assert api.delete(f"/api/v1/incidents/{effect.ref}/links/{hidden.pk}").status_code == 404
    assert IncidentLink.objects.count() == 2


# --- the page --------------------------------------------------------------------


def test_the_page_shows_links_both_ways(
    responder_client: Client, responder: User, cause: Incident, effect: Incident
) -> None:
    third = incidents.declare_incident(actor=responder, title="Search slow")
    linking.link_incidents(effect, actor=responder, to=cause, kind="caused_by")
    linking.link_incidents(third, actor=responder, to=effect, kind="caused_by")
    linking.link_incidents(
        effect,
        actor=responder,
        to=incidents.declare_incident(actor=responder, title="Mail delayed"),
        kind="related",
    )

    page = responder_client.get(f"/en/incidents/{effect.ref}/").content.decode()

    assert f'Caused by <a href="/en/incidents/{cause.ref}/">{cause.ref}</a>' in page
    assert f'Caused <a href="/en/incidents/{third.ref}/">{third.ref}</a>' in page
    assert "Related to <a" in page
    assert "Database failover" in page


def test_the_page_hides_links_to_incidents_the_reader_cannot_see(
    responder_client: Client, other_responder: User, effect: Incident, secret: Incident
) -> None:
    linking.link_incidents(secret, actor=other_responder, to=effect, kind="caused_by")

    page = responder_client.get(f"/en/incidents/{effect.ref}/").content.decode()

    assert secret.ref not in page
    assert "Payroll" not in page


def test_the_page_form_adds_a_link(
    responder_client: Client, cause: Incident, effect: Incident
) -> None:
    response = responder_client.post(
        f"/en/incidents/{effect.ref}/links/", {"to": cause.ref, "kind": "caused_by"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/en/incidents/{effect.ref}/#links"
    assert IncidentLink.objects.filter(source=effect, target=cause, kind="caused_by").exists()


def test_the_page_form_shows_a_mistake_beside_the_field(
    responder_client: Client, effect: Incident
) -> None:
    response = responder_client.post(
        f"/en/incidents/{effect.ref}/links/", {"to": effect.ref, "kind": "related"}
    )

    assert response.status_code == 422
    assert "An incident cannot be linked to itself." in response.content.decode()
    assert not IncidentLink.objects.exists()


def test_the_page_button_removes_a_link(
    responder_client: Client, responder: User, cause: Incident, effect: Incident
) -> None:
    link = linking.link_incidents(effect, actor=responder, to=cause, kind="related")

    response = responder_client.post(
        f"/en/incidents/{cause.ref}/links/remove/", {"link": str(link.pk)}
    )

    assert response.status_code == 302
    assert not IncidentLink.objects.exists()


def test_viewers_see_links_but_no_forms(
    viewer: User, responder: User, cause: Incident, effect: Incident
) -> None:
    linking.link_incidents(effect, actor=responder, to=cause, kind="related")
    client = Client()
    client.force_login(viewer)

    page = client.get(f"/en/incidents/{effect.ref}/").content.decode()

    assert f'Related to <a href="/en/incidents/{cause.ref}/">' in page
    assert "/links/remove/" not in page
    assert client.post(f"/en/incidents/{effect.ref}/links/", {"to": cause.ref}).status_code == 403

"""Change events through POST /api/v1/events/deploy: the on-call
intervention trigger, the timeline of open incidents, and refusals that
change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import DetectionSource, Incident, TimelineKind
from hotwash.incidents.queries import can_view
from hotwash.triggers import services
from hotwash.triggers.models import Action, ChangeEvent, PolicyFiring, Proposal, ProposalKind
from tests.support import triggers as support

_fresh_claims, policy_file, fired = support._fresh_claims, support.policy_file, support.fired

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/deploy"


def post(api: Client, **body: Any) -> Any:
    return api.post(URL, body, content_type="application/json")


def test_a_rollback_proposes_an_incident_linked_to_the_change(
    api: Client, fired: support.Fired
) -> None:
    response = post(
        api,
        service="shop",
        kind="rollback",
        version="4.1.0",
        description="4.2 broke card payments",
        url="https://ci.example/runs/812",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    change = ChangeEvent.objects.get()
    assert body["id"] == change.pk
    assert (body["kind"], body["service"], body["version"]) == ("rollback", "shop", "4.1.0")
    assert body["recorded_by"] == "amira"
    assert body["incident"] is None
    proposal = Proposal.objects.get()
    assert body["proposal"] == proposal.pk
    assert body["proposal_url"].endswith("/en/triggers/proposals/")
    assert [f["action"] for f in body["firings"]] == ["proposed"]
    assert proposal.kind == ProposalKind.DECLARE
    assert proposal.title == "Rollback of shop"
    assert proposal.firing.change_id == change.pk
    assert not Incident.objects.exists()
    assert AuditRecord.objects.filter(action="change.recorded").count() == 1
    assert [f.action for f in fired.firings] == [Action.PROPOSED]


def test_accepting_the_proposal_declares_the_incident_with_the_change(
    api: Client, responder: User
) -> None:
    post(api, service="shop", kind="rollback", version="4.1.0")
    proposal = Proposal.objects.get()
    response = api.post(f"/api/v1/proposals/{proposal.pk}/accept")
    assert response.status_code == 200, response.content
    incident = Incident.objects.get()
    assert response.json()["incident"] == incident.ref
    assert response.json()["status"] == "accepted"
    assert response.json()["decided_by"] == "amira"
    assert incident.title == "Rollback of shop"
    assert incident.created_by == responder
    assert incident.detection_source == DetectionSource.STAFF
    assert ChangeEvent.objects.get().incident_id == incident.pk
    texts = [describe_event(e) for e in incident.timeline.all()]
    assert "Rollback of shop to 4.1.0, recorded by Amira." in texts
    assert any(t.startswith("Amira accepted the proposal of trigger policy") for t in texts)
    # Found by a trigger, so no "add detection" proposal for it.
    assert Proposal.objects.count() == 1


def test_declare_mode_opens_the_incident_at_once(
    api: Client, policy_file: Callable[[str], Path]
) -> None:
    policy_file("policies:\n  - id: on-call-intervention\n    mode: declare\n    severity: 2\n")
    body = post(api, service="search", kind="reroute", description="Sent traffic to eu-west").json()
    incident = Incident.objects.get()
    assert body["incident"] == incident.ref
    assert body["incident_url"].endswith(f"/en/incidents/{incident.ref}/")
    assert incident.title == "Traffic rerouted for search"
    assert incident.severity == 2
    assert incident.created_by is None
    assert ChangeEvent.objects.get().incident_id == incident.pk
    kinds = set(incident.timeline.values_list("kind", flat=True))
    assert {TimelineKind.TRIGGER, TimelineKind.CHANGE} <= kinds


def test_a_rollback_during_an_open_incident_joins_it(api: Client, responder: User) -> None:
    incident = incidents.declare_incident(
        actor=responder, title="Checkout fails", services=["shop"]
    )
    body = post(api, service="shop", kind="rollback", version="4.1.0").json()
    assert body["incident"] == incident.ref
    assert body["written_on"] == [incident.ref]
    assert body["proposal"] is None
    assert Incident.objects.count() == 1
    firing = PolicyFiring.objects.get(policy_id="on-call-intervention")
    assert (firing.action, firing.incident_id) == (Action.JOINED, incident.pk)
    entry = incident.timeline.get(kind=TimelineKind.CHANGE)
    assert entry.key_moment
    assert describe_event(entry) == "Rollback of shop to 4.1.0, recorded by Amira."


def test_a_plain_deploy_is_only_written_on_open_incidents(api: Client, responder: User) -> None:
    incident = incidents.declare_incident(actor=responder, title="Slow search", services=["search"])
    body = post(api, service="search", version="7.3").json()
    assert body["kind"] == "deploy"
    assert body["firings"] == []
    assert body["written_on"] == [incident.ref]
    assert describe_event(incident.timeline.get(kind=TimelineKind.CHANGE)) == (
        "Deploy of search 7.3, recorded by Amira."
    )
    post(api, service="billing", version="1.0")
    assert Incident.objects.count() == 1
    assert not Proposal.objects.filter(kind=ProposalKind.DECLARE).exists()


def test_a_rollback_is_written_on_every_open_incident_of_the_service(
    api: Client, responder: User, other_responder: User
) -> None:
    older = incidents.declare_incident(actor=responder, title="Checkout fails", services=["shop"])
    newer = incidents.declare_incident(actor=responder, title="Carts empty", services=["shop"])
    elsewhere = incidents.declare_incident(actor=responder, title="Slow", services=["search"])
    body = post(api, service="shop", kind="rollback", version="4.1.0").json()
    assert body["incident"] == newer.ref
    assert body["written_on"] == [newer.ref, older.ref]
    assert body["proposal"] is None
    for incident in (older, newer):
        assert incident.timeline.filter(kind=TimelineKind.CHANGE).count() == 1
        firing = PolicyFiring.objects.get(incident=incident, trigger="on_call_intervention")
        assert firing.action == Action.JOINED
        assert "fired for this incident" in describe_event(
            incident.timeline.get(kind=TimelineKind.TRIGGER)
        )
    assert sorted(f["incident"] for f in body["firings"]) == sorted([older.ref, newer.ref])
    assert not elsewhere.timeline.filter(kind=TimelineKind.CHANGE).exists()
    assert Incident.objects.count() == 3


def test_a_private_incident_gets_the_change_without_the_recorder_learning_of_it(
    api: Client, responder: User, other_responder: User
) -> None:
    """The recorder cannot see the private incident: it gets the rollback and the
    firing, and her answer is exactly what it would be if it did not exist."""
    secret = incidents.declare_incident(
        actor=other_responder, title="Leak", services=["shop"], private=True
    )
    body = post(api, service="shop", kind="rollback").json()
    entry = secret.timeline.get(kind=TimelineKind.CHANGE)
    assert describe_event(entry).startswith("Rollback of shop, recorded by ")
    firing = PolicyFiring.objects.get(incident=secret, trigger="on_call_intervention")
    assert (firing.policy_id, firing.action) == ("on-call-intervention", Action.JOINED)

    # As when nothing is open: a proposal, and no trace of the private incident.
    assert body["written_on"] == []
    assert body["incident"] is None
    assert body["proposal"] == Proposal.objects.get(kind=ProposalKind.DECLARE).pk
    assert [f["action"] for f in body["firings"]] == ["proposed"]
    text = json.dumps(body)
    assert secret.ref not in text and secret.title not in text
    # Its firing is not listed (its number, like any other, could equal an
    # unrelated one in the answer, so the listed firings are compared).
    assert firing.pk not in [f["id"] for f in body["firings"]]
    assert ChangeEvent.objects.get().incident_id is None
    assert not can_view(responder, secret)  # writing on it did not make her a participant

    # A public incident too: the recorder is told about that one only.
    public = incidents.declare_incident(actor=responder, title="Checkout", services=["shop"])
    body = post(api, service="shop", kind="reroute").json()
    assert (body["incident"], body["written_on"]) == (public.ref, [public.ref])
    assert [f["incident"] for f in body["firings"]] == [public.ref]
    assert secret.ref not in json.dumps(body)
    assert secret.timeline.filter(kind=TimelineKind.CHANGE).count() == 2


@pytest.mark.parametrize(
    ("body", "status", "field", "message"),
    [
        ({"kind": "rollback"}, 422, "service", "The field service is required."),
        ({"service": "  ", "kind": "rollback"}, 422, "service", "Name the service that changed."),
        ({"service": "shop", "kind": "undo"}, 422, "kind", "Unknown change kind undo"),
        ({"service": "shop", "url": "ftp://x"}, 422, "url", "starts with http:// or https://"),
        ({"service": "shop", "at": "2026-11-26T03:12:00"}, 422, "at", "with its time zone"),
        ({"service": "shop", "at": "2999-01-01T00:00:00Z"}, 422, "at", "in the future"),
        ({"service": "shop", "version": "v" * 101}, 422, "version", "the limit is 100"),
        ({"service": "shop", "colour": "red"}, 422, "colour", "is not a field you can send"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    api: Client, body: dict[str, Any], status: int, field: str, message: str
) -> None:
    response = post(api, **body)
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert message in response.json()["message"]
    assert not ChangeEvent.objects.exists()
    assert not PolicyFiring.objects.exists()
    assert not AuditRecord.objects.filter(action="change.recorded").exists()


def test_malformed_json_is_a_400(api: Client) -> None:
    response = api.post(URL, "{service: shop", content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]
    assert not ChangeEvent.objects.exists()


def test_it_needs_a_valid_token_and_a_responder(viewer: User) -> None:
    assert (
        Client().post(URL, {"service": "shop"}, content_type="application/json").status_code == 401
    )
    wrong = Client(HTTP_AUTHORIZATION="Bearer nope").post(
        URL, {"service": "shop"}, content_type="application/json"
    )
    assert wrong.status_code == 401
    token = create_api_token(viewer, name="t")
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        URL, {"service": "shop", "kind": "rollback"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert not ChangeEvent.objects.exists()


def test_the_service_function_matches_the_api(responder: User) -> None:
    outcome = services.record_change(actor=responder, service="shop", kind="rollback")
    assert outcome.proposal is not None
    assert outcome.change.recorded_by == responder

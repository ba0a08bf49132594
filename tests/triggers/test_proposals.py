"""Proposals through the API and the service functions, and the detection
gap: "add detection for this" when a person finds what no alert saw."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from hotwash.accounts.services import create_api_token
from hotwash.alerts.models import AlertSource
from hotwash.core.errors import Conflict
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import Incident, TimelineKind
from hotwash.triggers import services
from hotwash.triggers.models import PolicyFiring, Proposal, ProposalKind, ProposalStatus
from tests.support import triggers as support
from tests.support.triggers import alert, send

_fresh_claims, source, policy_file = support._fresh_claims, support.source, support.policy_file

pytestmark = pytest.mark.django_db


def declare(responder: User, title: str = "Exports are empty", **fields: Any) -> Incident:
    return incidents.declare_incident(actor=responder, title=title, **fields)


# --- the detection gap ----------------------------------------------------------


def test_an_incident_a_person_found_gets_an_add_detection_proposal(responder: User) -> None:
    incident = declare(responder, detection_source="customer")
    proposal = Proposal.objects.get()
    assert proposal.kind == ProposalKind.ADD_DETECTION
    assert proposal.title == "Add detection for “Exports are empty”"
    assert proposal.incident_id == incident.pk
    assert proposal.firing.policy_id == "detection-gap"
    # Shown on the incident page, not written on the timeline: declaring
    # leaves the timeline with its one "declared" entry.
    assert list(incident.timeline.values_list("kind", flat=True)) == [TimelineKind.DECLARED]
    assert services.describe_firing(proposal.firing) == (
        "No alert saw this incident: trigger policy detection-gap proposes the action item "
        "“Add detection for “Exports are empty””."
    )


def test_accepting_it_creates_a_detect_action_item_owned_by_the_acceptor(
    responder: User, other_responder: User
) -> None:
    from hotwash.actions.models import ActionItem

    incident = declare(responder, severity=2)
    proposal = services.accept(Proposal.objects.get(), actor=other_responder)
    item = ActionItem.objects.get()
    assert (item.title, item.kind, item.owner, item.incident_id) == (
        "Add detection for “Exports are empty”",
        "detect",
        other_responder,
        incident.pk,
    )
    assert proposal.result == {"action_item": item.pk, "ref": item.ref}
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.decided_by == other_responder
    audit = AuditRecord.objects.get(action="proposal.accepted")
    assert audit.actor == other_responder
    accepted = incident.timeline.filter(kind=TimelineKind.TRIGGER).order_by("-id").first()
    assert accepted is not None
    assert describe_event(accepted).startswith("Sam accepted the proposal")
    assert f"Action item {item.ref} created." in describe_event(accepted)


def test_no_proposal_for_incidents_alerts_saw(responder: User, source: AlertSource) -> None:
    # Opened by a policy (Hotwash is the actor).
    send(source, alert(service="shop", severity="critical"))
    # Declared by a person while an alert of that service fires.
    send(source, alert("SlowSearch", service="search", severity="info", group="g2"))
    declare(responder, title="Search is slow", services=["search"])
    # Declared with "alert" as its detection source.
    declare(responder, title="Paged about disk", detection_source="alert")
    assert not Proposal.objects.filter(kind=ProposalKind.ADD_DETECTION).exists()
    # ... but a service no alert covers is a gap.
    declare(responder, title="Invoices are wrong", services=["billing"])
    assert Proposal.objects.filter(kind=ProposalKind.ADD_DETECTION).count() == 1


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        (
            "en",
            "Hotwash withdrew the proposal of trigger policy detection-gap: "
            "Add detection for “Exports are empty”\n"
            "Detection was recorded as an alert: the monitoring saw this incident.",
        ),
        (
            "fr",
            "Hotwash a retiré la proposition de la politique de déclenchement detection-gap : "
            "Ajouter une détection pour « Exports are empty »\n"
            "La détection a été indiquée comme une alerte : la supervision a vu cet incident.",
        ),
    ],
)
def test_detection_answered_alert_later_withdraws_the_proposal(
    responder: User, other_responder: User, language: str, sentence: str
) -> None:
    incident = declare(responder)
    proposal = Proposal.objects.get(kind=ProposalKind.ADD_DETECTION)
    incidents.record_detection(incident, actor=other_responder, detection_source="alert")

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DISMISSED
    assert proposal.decided_by is None  # Hotwash, not the person who answered
    assert proposal.result == {"withdrawn": "detected_by_alert"}
    audit = AuditRecord.objects.get(action="proposal.dismissed")
    assert audit.actor is None
    entry = incident.timeline.filter(kind=TimelineKind.TRIGGER).latest("id")
    with translation.override(language):
        assert describe_event(entry) == sentence
    # Accepting it now is refused: it is no longer open.
    with pytest.raises(Conflict):
        services.accept(proposal, actor=responder)


@pytest.mark.parametrize("source", ["customer", "staff", "monitoring-gap", "other"])
def test_other_answers_leave_the_proposal_open(responder: User, source: str) -> None:
    incident = declare(responder)
    incidents.record_detection(incident, actor=responder, detection_source=source)
    assert Proposal.objects.get().status == ProposalStatus.OPEN


def test_changing_detection_to_alert_in_the_details_withdraws_it_too(responder: User) -> None:
    incident = declare(responder, detection_source="customer")
    incidents.update_incident(incident, actor=responder, changes={"detection_source": "alert"})
    assert Proposal.objects.get().status == ProposalStatus.DISMISSED
    # An answered proposal stays as answered.
    incidents.update_incident(incident, actor=responder, changes={"detection_source": "staff"})
    incidents.update_incident(incident, actor=responder, changes={"detection_source": "alert"})
    assert AuditRecord.objects.filter(action="proposal.dismissed").count() == 1


def test_notify_mode_records_the_gap_without_a_proposal(
    responder: User, policy_file: Callable[[str], Path]
) -> None:
    policy_file("policies:\n  - id: detection-gap\n    mode: notify\n")
    incident = declare(responder)
    assert not Proposal.objects.exists()
    assert PolicyFiring.objects.get().incident_id == incident.pk


# --- the API ---------------------------------------------------------------------


def test_list_accept_and_dismiss_through_the_api(api: Client, responder: User) -> None:
    first = declare(responder, title="Exports are empty")
    declare(responder, title="Emails are late")
    listed = api.get("/api/v1/proposals").json()
    assert [p["title"] for p in listed] == [
        "Add detection for “Emails are late”",
        "Add detection for “Exports are empty”",
    ]
    assert listed[1]["incident"] == first.ref
    assert listed[1]["policy"] == "detection-gap"
    assert listed[1]["kind"] == "add-detection"

    dismissed = api.post(
        f"/api/v1/proposals/{listed[0]['id']}/dismiss",
        {"reason": "The mail provider already alerts us."},
        content_type="application/json",
    )
    assert dismissed.status_code == 200, dismissed.content
    assert dismissed.json()["status"] == "dismissed"
    assert dismissed.json()["result"] == {"reason": "The mail provider already alerts us."}

    accepted = api.post(f"/api/v1/proposals/{listed[1]['id']}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["result"]["ref"].startswith("AI-")

    assert api.get("/api/v1/proposals").json() == []
    assert len(api.get("/api/v1/proposals?status=all").json()) == 2
    assert [p["status"] for p in api.get("/api/v1/proposals?status=dismissed").json()] == [
        "dismissed"
    ]

    again = api.post(f"/api/v1/proposals/{listed[1]['id']}/dismiss", {}, "application/json")
    assert again.status_code == 409
    assert again.json()["message"].startswith("Amira already accepted this proposal, at ")


def test_proposal_errors(api: Client, responder: User, viewer: User) -> None:
    declare(responder)
    proposal = Proposal.objects.get()
    assert api.post("/api/v1/proposals/999/accept").status_code == 404
    bad = api.get("/api/v1/proposals?status=maybe")
    assert (bad.status_code, bad.json()["field"]) == (422, "status")
    assert Client().get("/api/v1/proposals").status_code == 401
    token = create_api_token(viewer, name="t")
    as_viewer = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert as_viewer.get("/api/v1/proposals").status_code == 403
    assert as_viewer.post(f"/api/v1/proposals/{proposal.pk}/accept").status_code == 403
    long = api.post(
        f"/api/v1/proposals/{proposal.pk}/dismiss", {"reason": "x" * 1001}, "application/json"
    )
    assert (long.status_code, long.json()["field"]) == (422, "reason")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OPEN


def test_proposals_about_private_incidents_stay_private(api: Client, other_responder: User) -> None:
    declare(other_responder, title="Payroll leak", private=True)
    proposal = Proposal.objects.get()
    assert api.get("/api/v1/proposals").json() == []
    assert api.post(f"/api/v1/proposals/{proposal.pk}/accept").status_code == 404


def test_the_firings_of_an_incident(api: Client, source: AlertSource) -> None:
    send(source, alert(service="shop", severity="critical", instance="a"))
    incident = Incident.objects.get()
    firings = api.get(f"/api/v1/incidents/{incident.ref}/firings").json()
    assert len(firings) == 1
    assert firings[0]["policy"] == "downtime-critical"
    assert firings[0]["action"] == "declared"
    assert firings[0]["incident"] == incident.ref
    assert firings[0]["alerts"][0]["alertname"] == "ShopDown"
    assert firings[0]["alerts"][0]["labels"]["instance"] == "a"
    assert firings[0]["description"].startswith(
        "Trigger policy downtime-critical (Downtime or degradation) declared this incident."
    )
    assert api.get("/api/v1/incidents/INC-999/firings").status_code == 404


def test_accepting_a_declare_proposal_for_an_alert_group(
    api: Client, source: AlertSource, policy_file: Callable[[str], Path]
) -> None:
    from hotwash.alerts.models import AlertGroup

    policy_file("policies:\n  - id: downtime-critical\n    mode: propose\n")
    send(source, alert(service="shop", severity="critical"))
    proposal = Proposal.objects.get()
    body = api.post(f"/api/v1/proposals/{proposal.pk}/accept").json()
    incident = Incident.objects.get()
    assert body["incident"] == incident.ref
    assert incident.severity == 2
    assert incident.detection_source == "alert"
    assert AlertGroup.objects.get().incident_id == incident.pk
    assert PolicyFiring.objects.get().incident_id == incident.pk
    # Later alerts of the group land on that incident.
    send(source, alert(service="shop", severity="critical", instance="b"))
    assert incident.timeline.filter(kind=TimelineKind.ALERT).count() == 1
    assert Incident.objects.count() == 1


def test_accepting_after_the_group_got_an_incident_joins_it(
    api: Client,
    source: AlertSource,
    policy_file: Callable[[str], Path],
    responder: User,
    other_responder: User,
) -> None:
    from hotwash.alerts.models import AlertGroup

    policy_file("policies:\n  - id: downtime-critical\n    mode: propose\n")
    send(source, alert(service="shop", severity="critical"))
    proposal = Proposal.objects.get(kind=ProposalKind.DECLARE)
    opened = incidents.declare_incident(actor=None, title="Shop down", services=["shop"])
    AlertGroup.objects.update(incident=opened)
    body = api.post(f"/api/v1/proposals/{proposal.pk}/accept").json()
    assert (body["incident"], body["result"]["existing"]) == (opened.ref, True)
    assert Incident.objects.count() == 1

    # One the person cannot see: refused, and the proposal stays open.
    send(source, alert("CartDown", service="cart", severity="critical", group="cart"))
    second = Proposal.objects.get(kind=ProposalKind.DECLARE, status=ProposalStatus.OPEN)
    secret = incidents.declare_incident(actor=other_responder, title="Leak", private=True)
    AlertGroup.objects.filter(group_key="cart").update(incident=secret)
    refused = api.post(f"/api/v1/proposals/{second.pk}/accept")
    assert refused.status_code == 409
    assert secret.ref not in refused.json()["message"]
    second.refresh_from_db()
    assert second.status == ProposalStatus.OPEN

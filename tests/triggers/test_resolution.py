"""Resolution time: incidents open past the threshold for their severity are
escalated one level, once per level, and need a full postmortem."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User

from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import Incident, TimelineKind
from hotwash.triggers import services
from hotwash.triggers.models import Action, PolicyFiring, Proposal, ProposalKind
from tests.support import triggers as support
from tests.support.triggers import T0

_fresh_claims, policy_file, fired = support._fresh_claims, support.policy_file, support.fired

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def incident(clock: time_machine.Traveller) -> Incident:
    return incidents.declare_incident(actor=None, title="Exports are slow", severity=3)


def test_an_incident_open_too_long_is_escalated(
    incident: Incident, clock: time_machine.Traveller, fired: support.Fired
) -> None:
    clock.move_to(T0 + timedelta(hours=23))
    services.run_checks()
    incident.refresh_from_db()
    assert incident.severity == 3
    assert not services.full_postmortem_required(incident)

    clock.move_to(T0 + timedelta(days=1, minutes=1))
    assert services.run_checks().escalated == [incident.pk]
    incident.refresh_from_db()
    assert incident.severity == 2
    assert services.full_postmortem_required(incident)
    firing = PolicyFiring.objects.get()
    assert (firing.policy_id, firing.action, firing.details["from"], firing.details["to"]) == (
        "resolution-time",
        Action.ESCALATED,
        3,
        2,
    )
    assert fired.firings == [firing]
    assert incident.timeline.filter(kind=TimelineKind.SEVERITY).exists()
    entry = incident.timeline.get(kind=TimelineKind.TRIGGER)
    assert describe_event(entry) == (
        "Trigger policy resolution-time (Resolution time) raised the severity from SEV3 to SEV2.\n"
        "Still open after more than 1 d at this severity."
    )
    assert AuditRecord.objects.filter(action="trigger.fired").count() == 1

    # Idempotent: the same check again does nothing.
    assert services.run_checks().escalated == []
    assert PolicyFiring.objects.count() == 1


def test_the_clock_restarts_at_each_escalation(
    incident: Incident, clock: time_machine.Traveller
) -> None:
    clock.move_to(T0 + timedelta(days=1, minutes=1))
    services.run_checks()
    # SEV2's threshold is 8 h, counted from the escalation, not the declaration.
    clock.move_to(T0 + timedelta(days=1, hours=7))
    services.run_checks()
    incident.refresh_from_db()
    assert incident.severity == 2
    clock.move_to(T0 + timedelta(days=1, hours=8, minutes=2))
    services.run_checks()
    incident.refresh_from_db()
    assert incident.severity == 1
    # SEV1 cannot go higher: one more firing (notify, full postmortem), then quiet.
    clock.move_to(T0 + timedelta(days=1, hours=12, minutes=3))
    services.run_checks()
    clock.move_to(T0 + timedelta(days=5))
    services.run_checks()
    incident.refresh_from_db()
    assert incident.severity == 1
    assert PolicyFiring.objects.filter(incident=incident).count() == 3
    last = PolicyFiring.objects.order_by("-id").first()
    assert last is not None
    assert "already at the highest severity" in services.describe_firing(last)


def test_resolved_incidents_are_left_alone(
    incident: Incident, clock: time_machine.Traveller
) -> None:
    incidents.set_status(incident, actor=None, status="resolved")
    clock.move_to(T0 + timedelta(days=10))
    services.run_checks()
    incident.refresh_from_db()
    assert incident.severity == 3
    assert not PolicyFiring.objects.exists()


def test_propose_mode_asks_to_raise_the_severity(
    incident: Incident,
    clock: time_machine.Traveller,
    policy_file: Callable[[str], Path],
    responder: User,
) -> None:
    policy_file("policies:\n  - id: resolution-time\n    mode: propose\n")
    clock.move_to(T0 + timedelta(days=1, minutes=1))
    services.run_checks()
    incident.refresh_from_db()
    assert incident.severity == 3
    proposal = Proposal.objects.get()
    assert (proposal.kind, proposal.details, proposal.incident_id) == (
        ProposalKind.ESCALATE,
        {"severity": 2},
        incident.pk,
    )
    services.accept(proposal, actor=responder)
    incident.refresh_from_db()
    assert incident.severity == 2


def test_thresholds_come_from_the_policy_file(
    incident: Incident, clock: time_machine.Traveller, policy_file: Callable[[str], Path]
) -> None:
    policy_file("policies:\n  - id: resolution-time\n    thresholds: {3: 30m}\n")
    clock.move_to(T0 + timedelta(minutes=31))
    services.run_checks()
    incident.refresh_from_db()
    assert incident.severity == 2
    # SEV2 has no threshold in this file: no further escalation.
    clock.move_to(T0 + timedelta(days=30))
    services.run_checks()
    incident.refresh_from_db()
    assert incident.severity == 2

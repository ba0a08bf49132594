"""The incident events in the outbox: which changes emit which events, with
what data, once, in the change's own transaction; and routing an event
twice writes its deliveries once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident, Service
from hotwash.notifications import outbox, receivers
from hotwash.notifications.models import Delivery, Event
from hotwash.notifications.routing import Planned, recipient_sources, route_event
from hotwash.notifications.tasks import deliver
from hotwash.teams.models import Team

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

SNAPSHOT_KEYS = {
    "id",
    "ref",
    "title",
    "summary",
    "status",
    "severity",
    "private",
    "services",
    "teams",
    "labels",
    "commander",
    "declared_at",
    "resolved_at",
    "url",
}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def emitted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The incident receivers' events in the order they were emitted (the
    rows of one transaction share their time, so the table cannot say)."""
    order: list[str] = []
    real = outbox.emit_event

    def spy(event_type: str, data: dict[str, Any], **kwargs: Any) -> Event:
        order.append(event_type)
        return real(event_type, data, **kwargs)

    monkeypatch.setattr(receivers, "emit_event", spy)
    return order


def declare(actor: User, **fields: Any) -> Incident:
    # "alert" as the source: no detection-gap firing among the events.
    fields.setdefault("detection_source", "alert")
    fields.setdefault("title", "Checkout fails")
    return incidents.declare_incident(actor=actor, **fields)


def events(incident: Incident, *types: str) -> list[Event]:
    rows = Event.objects.filter(incident=incident)
    if types:
        rows = rows.filter(type__in=types)
    return list(rows)


def the_event(incident: Incident, event_type: str) -> Event:
    [event] = events(incident, event_type)
    return event


def routing_tasks() -> list[str]:
    """The event ids of the queued route_event tasks."""
    rows = DBTaskResult.objects.filter(task_path=route_event.module_path)
    return sorted(row.args_kwargs["args"][0] for row in rows)


def test_declaring_emits_incident_declared_with_the_snapshot(amira: User) -> None:
    shop = Service.objects.create(name="shop")
    Team.objects.create(name="Platform", slug="platform").services.add(shop)
    incident = declare(amira, severity=1, services=["shop"], summary="Card payments fail")
    event = the_event(incident, "incident.declared")
    assert (event.occurred_at, event.private, event.actor) == (NOW, False, amira)
    assert set(event.data) == {"incident", "actor"}
    assert event.data["actor"] == "amira"
    snapshot = event.data["incident"]
    assert set(snapshot) == SNAPSHOT_KEYS
    assert snapshot == {
        "id": incident.pk,
        "ref": incident.ref,
        "title": "Checkout fails",
        "summary": "Card payments fail",
        "status": "investigating",
        "severity": 1,
        "private": False,
        "services": ["shop"],
        "teams": ["platform"],
        "labels": {},
        "commander": None,
        "declared_at": NOW.isoformat(),
        "resolved_at": None,
        "url": f"{settings.SITE_URL}/en/incidents/{incident.ref}/",
    }
    # Its routing is queued in the same transaction.
    assert str(event.id) in routing_tasks()


def test_each_change_emits_its_events_once(amira: User, emitted: list[str]) -> None:
    incident = declare(amira, severity=3)
    incidents.update_incident(incident, actor=amira, changes={"severity": 1})
    severity = the_event(incident, "incident.severity_changed")
    assert severity.data["change"] == {"from": 3, "to": 1}
    assert severity.data["incident"]["severity"] == 1
    assert severity.data["actor"] == "amira"

    incidents.set_status(incident, actor=amira, status="identified")
    status = the_event(incident, "incident.status_changed")
    assert status.data["change"] == {"from": "investigating", "to": "identified"}
    assert status.data["incident"]["status"] == "identified"
    assert emitted == [
        "incident.declared",
        "incident.severity_changed",
        "incident.status_changed",
    ]
    # A change that changes nothing emits nothing.
    incidents.update_incident(incident, actor=amira, changes={"severity": 1})
    assert len(events(incident)) == 3
    assert len(routing_tasks()) == 3


def test_resolving_and_closing_come_with_the_status_change(amira: User, emitted: list[str]) -> None:
    incident = declare(amira)
    incidents.set_status(incident, actor=amira, status="resolved")
    incidents.set_status(incident, actor=amira, status="closed")
    assert emitted == [
        "incident.declared",
        "incident.status_changed",
        "incident.resolved",
        "incident.status_changed",
        "incident.closed",
    ]
    resolved = the_event(incident, "incident.resolved")
    assert resolved.data["change"] == {"from": "investigating", "to": "resolved"}
    assert resolved.data["incident"]["status"] == "resolved"
    assert resolved.data["incident"]["resolved_at"] == NOW.isoformat()
    closed = the_event(incident, "incident.closed")
    assert closed.data["change"] == {"from": "resolved", "to": "closed"}


def test_closing_an_open_incident_also_resolves_it(amira: User, emitted: list[str]) -> None:
    incident = declare(amira)
    incidents.set_status(incident, actor=amira, status="closed")
    assert emitted == [
        "incident.declared",
        "incident.status_changed",
        "incident.resolved",
        "incident.closed",
    ]
    # Reopening is a status change only.
    incidents.set_status(incident, actor=amira, status="investigating")
    assert emitted[-1] == "incident.status_changed"
    assert len(events(incident, "incident.resolved")) == 1


def test_made_private_comes_first_and_marks_what_follows(amira: User, emitted: list[str]) -> None:
    incident = declare(amira, severity=3)
    incidents.update_incident(
        incident, actor=amira, changes={"private": True, "severity": 2, "status": "identified"}
    )
    assert emitted[1:] == [
        "incident.made_private",
        "incident.severity_changed",
        "incident.status_changed",
    ]
    assert not the_event(incident, "incident.declared").private
    for event in events(
        incident, "incident.made_private", "incident.severity_changed", "incident.status_changed"
    ):
        assert event.private is True
        assert event.data["incident"]["private"] is True
    made_private = the_event(incident, "incident.made_private")
    assert "change" not in made_private.data
    # Making it public again is not an event of its own.
    incidents.update_incident(incident, actor=amira, changes={"private": False})
    assert len(events(incident)) == 4


def test_declared_private_is_private_from_its_first_event(amira: User) -> None:
    incident = declare(amira, private=True)
    event = the_event(incident, "incident.declared")
    assert event.private is True
    assert not events(incident, "incident.made_private")


def test_assigning_a_role_emits_role_assigned(amira: User, other_responder: User) -> None:
    incident = declare(amira)
    incidents.assign_role(incident, actor=amira, role="commander", user=amira)
    incidents.assign_role(incident, actor=amira, role="commander", user=other_responder)
    first, second = sorted(
        events(incident, "incident.role_assigned"), key=lambda e: e.data["change"]["to"]
    )
    assert first.data["change"] == {"role": "commander", "from": None, "to": "amira"}
    assert second.data["change"] == {"role": "commander", "from": "amira", "to": "sam"}
    assert second.data["incident"]["commander"] == "sam"
    assert second.data["actor"] == "amira"


def test_a_role_event_has_the_privacy_of_the_moment_not_of_a_stale_copy(amira: User) -> None:
    incident = declare(amira)
    stale = Incident.objects.get(pk=incident.pk)
    incidents.update_incident(incident, actor=amira, changes={"private": True})
    incidents.assign_role(stale, actor=amira, role="scribe", user=amira)
    event = the_event(incident, "incident.role_assigned")
    assert event.private is True
    assert event.data["incident"]["private"] is True


def test_a_policy_firing_emits_policy_fired_and_proposal_raised(amira: User) -> None:
    # A person declares what no alert saw: the detection-gap policy proposes.
    incident = incidents.declare_incident(actor=amira, title="Exports are empty")
    fired = the_event(incident, "policy.fired")
    raised = the_event(incident, "proposal.raised")
    assert fired.data == raised.data
    data = fired.data
    assert data["policy"] == "detection-gap"
    assert data["trigger"] == "detection_gap"
    assert data["mode"] == "propose"
    assert data["action"] == "proposed"
    assert isinstance(data["details"], dict)
    assert data["incident"]["ref"] == incident.ref
    assert set(data["incident"]) == SNAPSHOT_KEYS
    assert data["proposal"]["title"] == "Add detection for “Exports are empty”"
    assert fired.private is False and fired.actor is None


def test_a_private_incidents_firing_is_private(amira: User) -> None:
    incident = incidents.declare_incident(actor=amira, title="Exports are empty", private=True)
    assert the_event(incident, "policy.fired").private is True
    assert the_event(incident, "proposal.raised").private is True


def test_a_change_that_rolls_back_leaves_no_event(amira: User) -> None:
    incident = declare(amira)
    before = (Event.objects.count(), DBTaskResult.objects.count())
    with pytest.raises(RuntimeError), transaction.atomic():
        incidents.update_incident(incident, actor=amira, changes={"severity": 1})
        incidents.set_status(incident, actor=amira, status="resolved")
        assert len(events(incident)) == 4  # written, in the transaction
        raise RuntimeError("the request failed after the change")
    assert (Event.objects.count(), DBTaskResult.objects.count()) == before
    with pytest.raises(RuntimeError), transaction.atomic():
        declare(amira, title="Never happened")
        raise RuntimeError("the request failed after the declaration")
    assert (Event.objects.count(), DBTaskResult.objects.count()) == before


@pytest.fixture
def everyone_hears() -> Iterator[None]:
    """A recipient source (as followers and status page subscribers are)
    that wants every event delivered to one address."""

    def source(event: Event) -> list[Planned]:
        return [Planned(channel="test", key="test:ops", target={}, address="ops@example.org")]

    recipient_sources.functions.append(source)
    try:
        yield
    finally:
        recipient_sources.functions.remove(source)


def test_routing_an_event_twice_writes_its_deliveries_once(
    amira: User, everyone_hears: None
) -> None:
    incident = declare(amira)
    event = the_event(incident, "incident.declared")
    assert route_event.call(str(event.id)) == "1 deliveries"
    assert route_event.call(str(event.id)) == "nothing to do"
    [delivery] = Delivery.objects.filter(event=event)
    assert (delivery.channel, delivery.key, delivery.address) == (
        "test",
        "test:ops",
        "ops@example.org",
    )
    event.refresh_from_db()
    assert event.routed_at is not None
    sends = DBTaskResult.objects.filter(task_path=deliver.module_path)
    assert [row.args_kwargs["args"] for row in sends] == [[str(delivery.id)]]

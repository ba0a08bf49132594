"""Reminding the communications lead (or the commander) that stakeholders
are due an update: once per interval of the incident's severity, decided
once whoever scans, with a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from hotwash.accounts.services import create_user
from hotwash.incidents.models import Incident
from hotwash.incidents.services import assign_role, declare_incident, update_incident
from hotwash.jobs.worker import HotwashWorker
from hotwash.statuspage.models import ReminderStatus, UpdateReminder
from hotwash.statuspage.services import publish_update
from hotwash.statuspage.update_reminders import overdue_update, scan_update_reminders

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TEXT = {"en": "Still investigating.", "fr": "Enquête en cours."}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def drain() -> int:
    worker = HotwashWorker(worker_id="tests", queue_names=["default"], interval=0, periodic=False)
    return worker.drain()


@pytest.fixture
def lea(db: None) -> User:
    return create_user(
        "lea",
        email="lea@example.org",
        first_name="Léa",
        language="fr",
        timezone_name="Europe/Paris",
    )


@pytest.fixture
def sev1(responder: User, lea: User) -> Incident:
    incident = declare_incident(actor=responder, title="Payments down", severity=1, now=T0)
    assign_role(incident, actor=responder, role="communications", user=lea, now=T0)
    return incident


def test_the_reminder_fires_once_per_interval(
    sev1: Incident, responder: User, _clock: time_machine.Traveller
) -> None:
    assert scan_update_reminders(at(29)).decided == 0
    assert scan_update_reminders(at(31)).decided == 1
    # Later scans within the same interval, and a second worker at the same
    # moment, decide nothing more.
    assert scan_update_reminders(at(31)).decided == 0
    assert scan_update_reminders(at(59)).decided == 0
    assert scan_update_reminders(at(61)).decided == 1
    assert [r.due_at for r in UpdateReminder.objects.order_by("due_at")] == [at(30), at(60)]
    # An update starts the clock again.
    publish_update(
        sev1, actor=responder, audience="internal", status="identified", text=TEXT, now=at(62)
    )
    assert scan_update_reminders(at(91)).decided == 0
    assert scan_update_reminders(at(93)).decided == 1
    assert UpdateReminder.objects.order_by("-due_at").first().due_at == at(92)  # type: ignore[union-attr]


def test_the_mail_goes_to_the_communications_lead_in_their_language(
    sev1: Incident, _clock: time_machine.Traveller
) -> None:
    _clock.move_to(at(45))
    assert scan_update_reminders(at(45)).queued == 1
    drain()
    [message] = mail.outbox
    assert message.to == ["lea@example.org"]
    assert message.subject == f"{sev1.ref} attend une mise à jour des parties prenantes"
    assert "n'a eu aucune mise à jour des parties prenantes depuis 45 min" in message.body
    assert "toutes les 30 min" in message.body
    assert f"/fr/incidents/{sev1.ref}/#stakeholder-updates" in message.body
    assert UpdateReminder.objects.get().status == ReminderStatus.SENT
    # Draining again sends nothing twice.
    drain()
    assert len(mail.outbox) == 1


def test_the_commander_hears_when_there_is_no_communications_lead(
    responder: User, _clock: time_machine.Traveller
) -> None:
    responder.email = "amira@example.org"
    responder.save()
    incident = declare_incident(actor=responder, title="Search down", severity=2, now=T0)
    assign_role(incident, actor=responder, role="commander", user=responder, now=T0)
    assert scan_update_reminders(at(59)).decided == 0
    _clock.move_to(at(61))
    assert scan_update_reminders(at(61)).decided == 1
    drain()
    [message] = mail.outbox
    assert message.to == ["amira@example.org"]
    assert "has had no stakeholder update for 1 h 1 min; SEV2 asks for one every 1 h 0 min" in (
        message.body
    )


def test_nobody_to_remind_and_severities_without_interval(responder: User) -> None:
    declare_incident(actor=responder, title="No roles", severity=1, now=T0)
    declare_incident(actor=responder, title="Minor", severity=3, now=T0)
    assert scan_update_reminders(at(600)).decided == 0


def test_a_mail_decided_before_an_update_is_not_sent(
    sev1: Incident, responder: User, _clock: time_machine.Traveller
) -> None:
    assert scan_update_reminders(at(31)).queued == 1
    publish_update(
        sev1, actor=responder, audience="internal", status="identified", text=TEXT, now=at(32)
    )
    _clock.move_to(at(32))
    drain()
    assert mail.outbox == []
    assert UpdateReminder.objects.get().status == ReminderStatus.SKIPPED


def test_resolved_incidents_are_not_reminded(sev1: Incident, responder: User) -> None:
    update_incident(sev1, actor=responder, changes={"status": "resolved"}, now=at(10))
    assert scan_update_reminders(at(45)).decided == 0


def test_the_incident_page_shows_the_hint(
    sev1: Incident, responder_client: Client, _clock: time_machine.Traveller
) -> None:
    _clock.move_to(at(20))
    html = responder_client.get(f"/en/incidents/{sev1.ref}/").content.decode()
    assert 'id="update-overdue"' not in html
    _clock.move_to(at(45))
    assert overdue_update(sev1) is not None
    html = responder_client.get(f"/en/incidents/{sev1.ref}/").content.decode()
    assert "No update for 45 min; SEV1 asks for one every 30 min." in html
    french = responder_client.get(f"/fr/incidents/{sev1.ref}/").content.decode()
    assert "Aucune mise à jour depuis 45 min ; un SEV1 en demande une toutes les 30 min." in french

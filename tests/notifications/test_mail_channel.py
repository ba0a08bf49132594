"""The mail channel through a real SMTP server on loopback: each reader's
language and link, one thread per incident, failures retried and shown,
and nothing sent to someone who can no longer see the incident."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from hotwash.accounts.services import create_user
from hotwash.incidents.models import Incident, Service
from hotwash.incidents.services import declare_incident, update_incident
from hotwash.jobs.worker import HotwashWorker
from hotwash.notifications.follows import follow
from hotwash.notifications.models import Delivery, DeliveryStatus, Event
from hotwash.notifications.outbox import emit_event
from hotwash.notifications.payloads import incident_data
from hotwash.notifications.routing import route_event
from hotwash.teams.models import Team
from tests.support.notifications import SmtpSink, bodies, smtp_sink, use_smtp

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def smtp(settings: Settings) -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        use_smtp(settings, sink.port)
        settings.DEFAULT_FROM_EMAIL = "Hotwash <hotwash@example.org>"
        settings.SITE_URL = "https://hotwash.example.org"
        yield sink


def drain() -> int:
    worker = HotwashWorker(worker_id="tests", queue_names=["default"], interval=0, periodic=False)
    return worker.drain()


@pytest.fixture
def lea(db: None) -> User:
    return create_user("lea", email="lea@example.org", language="fr")


@pytest.fixture
def noor(db: None) -> User:
    return create_user("noor", email="noor@example.org", language="en")


@pytest.fixture
def shop(db: None) -> Service:
    return Service.objects.create(name="shop")


def declare(responder: User, **fields: Any) -> Incident:
    return declare_incident(actor=responder, title="Checkout fails", severity=1, **fields)


def test_a_follower_reads_each_event_in_their_language_with_their_link(
    smtp: SmtpSink, responder: User, lea: User, noor: User, shop: Service
) -> None:
    follow(lea, shop)
    follow(noor, shop)
    incident = declare(responder, services=["shop"])
    drain()
    [french] = smtp.to("lea@example.org")
    [english] = smtp.to("noor@example.org")
    ref = incident.ref
    assert french["Subject"] == f"[{ref}] SEV1 déclaré : Checkout fails"
    assert english["Subject"] == f"[{ref}] SEV1 declared: Checkout fails"
    assert french["Content-Language"] == "fr"
    text, html = bodies(french)
    assert f"amira a déclaré {ref} en SEV1." in text
    assert f"https://hotwash.example.org/fr/incidents/{ref}/" in text
    assert f'href="https://hotwash.example.org/fr/incidents/{ref}/"' in html
    assert "Gravité" in html
    text, _html = bodies(english)
    assert f"amira declared {ref} at SEV1." in text
    assert f"https://hotwash.example.org/en/incidents/{ref}/" in text
    assert Delivery.objects.filter(status=DeliveryStatus.SENT, attempts=1).count() == 2


def test_mails_about_one_incident_are_one_thread(
    smtp: SmtpSink, responder: User, noor: User, shop: Service
) -> None:
    follow(noor, shop)
    incident = declare(responder, services=["shop"])
    update_incident(incident, actor=responder, changes={"status": "resolved"})
    drain()
    first, resolved = sorted(smtp.messages, key=lambda m: "Resolved" in str(m["Subject"]))
    thread = f"<incident-{incident.pk}@hotwash.example.org>"
    assert first["Message-ID"] == thread
    assert first["In-Reply-To"] is None
    assert resolved["Subject"] == f"[{incident.ref}] Resolved: Checkout fails"
    assert resolved["Message-ID"] != thread
    assert resolved["In-Reply-To"] == thread
    assert resolved["References"] == thread


def test_an_internal_update_reaches_followers_in_their_language(
    smtp: SmtpSink, responder: User, lea: User, noor: User
) -> None:
    incident = declare(responder)
    follow(lea, incident)
    follow(noor, incident)
    drain()
    smtp.messages.clear()
    update = {
        "id": 1,
        "audience": "internal",
        "status": "identified",
        "text": {"en": "The payment provider is down.", "fr": "Le prestataire est en panne."},
        "published_at": NOW.isoformat(),
    }
    data = {"incident": incident_data(incident), "actor": "amira", "update": update}
    emit_event("incident.update_published", data, incident=incident)
    # A public update is the status page's business, not the followers'.
    public = {**data, "update": {**update, "audience": "public"}}
    emit_event("incident.update_published", public, incident=incident)
    drain()
    [french] = smtp.to("lea@example.org")
    [english] = smtp.to("noor@example.org")
    assert "Le prestataire est en panne." in bodies(french)[0]
    assert "The payment provider is down." in bodies(english)[0]
    assert english["Subject"] == f"[{incident.ref}] Update, Identified: Checkout fails"


def test_a_failing_smtp_server_means_retries_with_backoff_then_the_mail(
    smtp: SmtpSink, responder: User, noor: User, lea: User, _clock: time_machine.Traveller
) -> None:
    incident = declare(responder)
    drain()
    follow(noor, incident)
    follow(lea, incident)
    smtp.refuse = True
    update_incident(incident, actor=responder, changes={"severity": 2})
    drain()
    deliveries = list(Delivery.objects.order_by("address"))
    assert [(d.status, d.attempts) for d in deliveries] == [(DeliveryStatus.RETRYING, 1)] * 2
    assert all("451" in d.last_error for d in deliveries)
    assert all(d.next_attempt_at is not None for d in deliveries)
    assert smtp.refused == 2
    # Shown on the incident, to those who respond to it.
    client = Client()
    client.force_login(responder)
    page = client.get(f"/en/incidents/{incident.ref}/").content.decode()
    assert "Notifications not delivered" in page
    assert "noor@example.org" not in page  # accounts are named, not their addresses
    assert "Failed once; next attempt" in page
    assert "451" in page
    smtp.refuse = False
    assert drain() == 0  # each retry waits for its time
    _clock.shift(timedelta(seconds=61))
    drain()
    assert [(d.status, d.attempts, d.last_error) for d in Delivery.objects.all()] == [
        (DeliveryStatus.SENT, 2, "")
    ] * 2
    assert len(smtp.messages) == 2
    page = client.get(f"/en/incidents/{incident.ref}/").content.decode()
    assert "Notifications not delivered" not in page
    # Each failed attempt also shows among the task results, as a failure.
    assert (
        DBTaskResult.objects.filter(
            task_path="hotwash.notifications.tasks.deliver", status="SUCCESSFUL"
        ).count()
        == 2
    )


def test_someone_who_can_no_longer_see_the_incident_is_skipped_not_sent(
    smtp: SmtpSink, responder: User, noor: User, shop: Service
) -> None:
    follow(noor, shop)
    incident = declare(responder, services=["shop"])
    # Routed while public; made private before the worker sends it.
    declared = Event.objects.get(incident=incident, type="incident.declared")
    route_event.call(str(declared.pk))
    Incident.objects.filter(pk=incident.pk).update(private=True)
    drain()
    assert smtp.messages == []
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SKIPPED
    assert "can no longer see" in delivery.last_error


def test_the_owning_team_is_mailed_with_one_connection_for_many(
    smtp: SmtpSink, responder: User, shop: Service
) -> None:
    team = Team.objects.create(name="Payments", slug="payments")
    team.services.add(shop)
    people = [create_user(f"p{n}", email=f"p{n}@example.org") for n in range(12)]
    team.members.add(*people)
    declare(responder, services=["shop"])
    drain()
    assert len(smtp.wait_for(12)) == 12
    assert (
        DBTaskResult.objects.filter(task_path="hotwash.notifications.tasks.deliver_batch").count()
        == 1
    )
    assert set(Delivery.objects.values_list("status", "attempts", "rule")) == {
        (DeliveryStatus.SENT, 1, "tell-owners")
    }

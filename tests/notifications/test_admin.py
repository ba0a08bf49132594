"""The outbox in the admin: events, their deliveries, failures with their
last error, and "Retry now" for failed or retrying deliveries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from hotwash.core.models import AuditRecord
from hotwash.incidents.services import declare_incident
from hotwash.notifications.channels import ChannelFailed, ChannelRejected, channels
from hotwash.notifications.models import (
    Delivery,
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookSubscription,
)
from hotwash.notifications.routing import Planned, recipient_sources
from hotwash.notifications.tasks import deliver, deliver_webhook
from tests.support.notifications import WebhookSink, drain_sends

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ADMIN = "/en/admin/notifications"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@dataclass
class Probe:
    """A channel on no network: each send takes the next outcome (an
    exception to raise, or a status to return; 200 once they run out)."""

    kind: str = "probe"
    label: str = "Probe"
    reaches_people: bool = False
    outcomes: list[Exception | int] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)

    def check_target(self, target: Mapping[str, Any]) -> dict[str, Any]:
        return dict(target)

    def send(self, delivery: Delivery) -> int | None:
        outcome = self.outcomes.pop(0) if self.outcomes else 200
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append(str(delivery.pk))
        return outcome


@pytest.fixture
def probe() -> Iterator[Probe]:
    """The probe channel, and a recipient source that sends every event
    through it."""
    channel = Probe()
    channels.register(channel)

    def source(event: Event) -> list[Planned]:
        return [Planned(channel="probe", key="probe:ops", target={})]

    recipient_sources.functions.append(source)
    try:
        yield channel
    finally:
        recipient_sources.functions.remove(source)
        channels._entries.pop("probe")


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def declare(amira: User) -> Event:
    incident = declare_incident(actor=amira, title="Checkout fails", detection_source="alert")
    return Event.objects.get(incident=incident, type="incident.declared")


def retry_action(client: Client, model: str, *rows: Any) -> Any:
    return client.post(
        f"{ADMIN}/{model}/",
        {"action": "retry_now", "_selected_action": [str(row.pk) for row in rows]},
        follow=True,
    )


def queued(task: Any, row: Any) -> list[dict[str, Any]]:
    """The kwargs of the queued (READY) tasks of `task` for `row`."""
    return [
        result.args_kwargs["kwargs"]
        for result in DBTaskResult.objects.filter(task_path=task.module_path, status="READY")
        if result.args_kwargs["args"] == [str(row.pk)]
    ]


def test_events_and_their_deliveries_are_shown_with_the_last_error(
    admin_client: Client, amira: User, probe: Probe
) -> None:
    probe.outcomes = [
        ChannelRejected("The service does not know this routing key.", status_code=400)
    ]
    event = declare(amira)
    drain_sends()
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == DeliveryStatus.FAILED

    events = admin_client.get(f"{ADMIN}/event/?type__exact=incident.declared")
    assert events.status_code == 200
    page = events.content.decode()
    assert "Incident declared" in page
    link = f"{ADMIN}/delivery/?event__id__exact={event.pk}"
    assert link in page

    deliveries = admin_client.get(link)
    assert deliveries.status_code == 200
    assert "does not know this routing key" in deliveries.content.decode()
    for query in (
        "status__exact=failed",
        "channel__exact=probe",
        "event__type__exact=incident.declared",
    ):
        listed = admin_client.get(f"{ADMIN}/delivery/?{query}")
        assert listed.status_code == 200
        assert "does not know this routing key" in listed.content.decode(), query
    assert (
        "routing key"
        not in admin_client.get(f"{ADMIN}/delivery/?status__exact=sent").content.decode()
    )

    detail = admin_client.get(f"{ADMIN}/event/{event.pk}/change/")
    assert detail.status_code == 200
    assert event.data["incident"]["ref"] in detail.content.decode()
    assert admin_client.get(f"{ADMIN}/event/?q=not-a-uuid").status_code == 200
    # Read-only: nothing to add or edit.
    assert admin_client.get(f"{ADMIN}/event/add/").status_code == 403
    assert admin_client.get(f"{ADMIN}/delivery/add/").status_code == 403


def test_retry_now_sends_a_failed_delivery_again_with_fresh_attempts(
    admin_client: Client, admin_user: User, amira: User, probe: Probe
) -> None:
    probe.outcomes = [ChannelRejected("Unknown routing key.", status_code=400)]
    declare(amira)
    drain_sends()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)

    response = retry_action(admin_client, "delivery", delivery)
    assert "1 delivery will be sent again" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    assert queued(deliver, delivery) == [{"attempt": 1}]
    record = AuditRecord.objects.get(action="delivery.retried")
    assert (record.actor, record.object_id) == (admin_user, str(delivery.pk))
    assert record.changes["from"] == {"status": "failed", "attempts": 1}

    assert drain_sends() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 1, "")
    assert probe.sent == [str(delivery.pk)]


def test_retry_now_replaces_the_waiting_attempt_of_a_retrying_delivery(
    admin_client: Client, amira: User, probe: Probe
) -> None:
    probe.outcomes = [ChannelFailed("HTTP 503", status_code=503)]
    declare(amira)
    drain_sends()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert queued(deliver, delivery) == [{"attempt": 2}]  # waiting for its time

    retry_action(admin_client, "delivery", delivery)
    assert queued(deliver, delivery) == [{"attempt": 1}]  # one series, not two
    assert drain_sends() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert probe.sent == [str(delivery.pk)]


def test_retry_now_leaves_sent_deliveries_alone(
    admin_client: Client, amira: User, probe: Probe
) -> None:
    declare(amira)
    drain_sends()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT
    response = retry_action(admin_client, "delivery", delivery)
    assert "0 deliveries will be sent again" in response.content.decode()
    assert queued(deliver, delivery) == []
    assert not AuditRecord.objects.filter(action="delivery.retried").exists()


def test_retry_now_on_a_webhook_delivery_that_gave_up(
    admin_client: Client, admin_user: User, amira: User, sink: WebhookSink, settings: Settings
) -> None:
    settings.TASK_MAX_ATTEMPTS = 1
    sink.statuses = [500]
    subscription = WebhookSubscription(name="chat", url=sink.url, events=["incident.declared"])
    subscription.secret = "whsec-for-tests-0123456789"
    subscription.save()
    event = declare(amira)
    drain_sends()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.FAILED, 500)

    # From the event to its webhook deliveries, failures shown.
    page = admin_client.get(f"{ADMIN}/event/").content.decode()
    link = f"{ADMIN}/webhookdelivery/?source__id__exact={event.pk}"
    assert link in page
    assert "HTTP 500" in admin_client.get(link).content.decode()

    response = retry_action(admin_client, "webhookdelivery", delivery)
    assert response.status_code == 200
    assert queued(deliver_webhook, delivery) == [{"attempt": 1}]
    assert AuditRecord.objects.get(action="webhook.delivery_retried").actor == admin_user
    assert drain_sends() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.SENT,
        1,
        200,
    )
    assert len(sink.received) == 2
    assert len({request.headers["x-hotwash-delivery"] for request in sink.received}) == 1


def test_a_staff_member_without_the_right_is_not_offered_retry_now(
    amira: User, probe: Probe
) -> None:
    from django.contrib.auth.models import Permission

    staff = User.objects.create_user("sid", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    client = Client()
    client.force_login(staff)
    page = client.get(f"{ADMIN}/delivery/")
    assert page.status_code == 200
    assert "retry_now" not in page.content.decode()

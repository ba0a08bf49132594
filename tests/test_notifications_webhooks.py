"""Signed outbound webhooks, delivered to a real HTTP receiver on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction

from hotwash.accounts.services import create_user
from hotwash.actions.services import create_action_item, update_action_item
from hotwash.incidents.services import declare_incident
from hotwash.jobs.worker import HotwashWorker
from hotwash.notifications.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from hotwash.notifications.reminders import scan_reminders
from hotwash.notifications.webhooks import sign, verify
from tests.test_notifications_support import Received, WebhookSink, make_item, webhook_sink

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SECRET = "whsec-for-tests-0123456789"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    with webhook_sink() as receiver:
        yield receiver


@pytest.fixture
def amira(db: Any) -> Any:
    return create_user("amira", email="amira@example.org", first_name="Amira")


def subscribe(sink: WebhookSink, *events: str, **fields: Any) -> WebhookSubscription:
    fields.setdefault("secret", SECRET)
    return WebhookSubscription.objects.create(
        name="chat", url=sink.url, events=list(events), **fields
    )


def drain() -> int:
    return HotwashWorker(
        worker_id="tests", queue_names=["default"], interval=0, periodic=False
    ).drain()


def assert_signed(request: Received, secret: str = SECRET) -> None:
    timestamp = request.headers["x-hotwash-timestamp"]
    signature = request.headers["x-hotwash-signature"]
    assert signature == sign(secret, timestamp, request.body)
    assert verify(secret, timestamp, request.body, signature)
    assert not verify("another secret", timestamp, request.body, signature)
    assert not verify(secret, timestamp, request.body + b" ", signature)


def test_a_new_action_item_is_posted_signed(sink: WebhookSink, amira: Any) -> None:
    subscribe(sink)
    incident = declare_incident(actor=amira, title="Checkout fails")
    item = create_action_item(
        actor=amira, title="Add a canary", owner=amira, incident=incident, due_on="2026-12-10"
    )
    assert drain() == 1
    [request] = sink.received
    assert request.path == "/hooks/hotwash"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-hotwash-event"] == "action_item.created"
    delivery = WebhookDelivery.objects.get()
    assert request.headers["x-hotwash-delivery"] == str(delivery.id)
    assert_signed(request)
    payload = request.json
    assert payload["event"] == "action_item.created"
    assert payload["delivery"] == str(delivery.id)
    assert datetime.fromisoformat(payload["occurred_at"]) == item.created_at
    data = payload["data"]
    assert data["ref"] == item.ref
    assert data["title"] == "Add a canary"
    assert data["owner"] == "amira"
    assert data["due_on"] == "2026-12-10"
    assert data["incident"] == incident.ref
    assert data["actor"] == "amira"
    assert data["url"].endswith(f"/en/action-items/{item.pk}/")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 200)


def test_changes_and_completion_are_separate_events(sink: WebhookSink, amira: Any) -> None:
    subscribe(sink, "action_item.changed", "action_item.done")
    item = make_item(amira, due_on=NOW.date() + timedelta(days=5))
    update_action_item(item, actor=amira, changes={"priority": "high"})
    update_action_item(item, actor=amira, changes={"status": "done"})
    drain()
    events = [r.headers["x-hotwash-event"] for r in sink.received]
    assert sorted(events) == ["action_item.changed", "action_item.done"]
    changed = next(r.json for r in sink.received if r.json["event"] == "action_item.changed")
    assert changed["data"]["changes"]["priority"] == {"from": "medium", "to": "high"}
    assert changed["data"]["changed_fields"] == ["priority"]


def test_a_failing_receiver_gets_the_same_delivery_again_after_a_backoff(
    sink: WebhookSink, amira: Any, _clock: Any
) -> None:
    sink.statuses = [500, 503]
    subscribe(sink, "action_item.created")
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.RETRYING,
        1,
        500,
    )
    assert "HTTP 500" in delivery.last_error
    assert delivery.next_attempt_at is not None
    assert drain() == 0  # the retry waits for its time
    _clock.shift(timedelta(seconds=61))
    drain()
    _clock.shift(timedelta(seconds=121))
    drain()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 3, 200)
    assert len(sink.received) == 3
    assert {r.headers["x-hotwash-delivery"] for r in sink.received} == {str(delivery.id)}
    assert len({r.body for r in sink.received}) == 1  # the same bytes every time
    for request in sink.received:
        assert_signed(request)


def test_the_secret_can_come_from_the_environment(
    sink: WebhookSink, amira: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(sink, secret="", secret_env="HOTWASH_TEST_HOOK_SECRET")
    monkeypatch.setenv("HOTWASH_TEST_HOOK_SECRET", "from-the-environment")
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    assert_signed(sink.received[0], "from-the-environment")


def test_a_missing_secret_is_a_visible_failure_not_an_unsigned_request(
    sink: WebhookSink, amira: Any
) -> None:
    subscribe(sink, secret="", secret_env="HOTWASH_TEST_UNSET_SECRET")
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    assert sink.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "HOTWASH_TEST_UNSET_SECRET" in delivery.last_error


def test_reminders_are_webhook_events_too(sink: WebhookSink, amira: Any) -> None:
    subscribe(sink, "action_item.overdue", "action_item.due_soon")
    soon = make_item(amira, due_on=NOW.date() + timedelta(days=1))
    late = make_item(amira, due_on=NOW.date() - timedelta(days=1))
    scan_reminders(NOW)
    scan_reminders(NOW + timedelta(minutes=5))  # decided once, posted once
    drain()
    got = sorted((r.json["event"], r.json["data"]["ref"]) for r in sink.received)
    assert got == [("action_item.due_soon", soon.ref), ("action_item.overdue", late.ref)]


def test_private_incidents_do_not_leak_into_chat(sink: WebhookSink, amira: Any) -> None:
    subscribe(sink)
    incident = declare_incident(actor=amira, title="Credential leak", private=True)
    item = create_action_item(actor=amira, title="Rotate the keys", owner=amira, incident=incident)
    update_action_item(item, actor=amira, changes={"title": "Rotate the AWS keys"})
    drain()
    for request in sink.received:
        data = request.json["data"]
        assert data["private"] is True
        assert data["title"] is None
        assert data["changes"] is None
        assert "Rotate" not in request.body.decode()
    assert json.loads(sink.received[-1].body)["data"]["changed_fields"] == ["title"]


def test_nothing_is_sent_for_a_change_that_rolled_back(sink: WebhookSink, amira: Any) -> None:
    subscribe(sink)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_item(amira, due_on=NOW.date() + timedelta(days=5))
        raise RuntimeError("the surrounding work failed")
    assert drain() == 0
    assert not WebhookDelivery.objects.exists()


def test_inactive_subscriptions_and_unwanted_events_get_nothing(
    sink: WebhookSink, amira: Any
) -> None:
    subscribe(sink, "action_item.overdue")
    subscribe(sink, active=False)
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    assert drain() == 0
    assert not WebhookDelivery.objects.exists()


def test_postmortems_are_announced_when_drafted_and_when_their_status_changes(
    sink: WebhookSink, amira: Any, other_responder: Any
) -> None:
    from hotwash.postmortems.services import draft_for_incident, set_reviewers, transition

    subscribe(sink, "postmortem.created", "postmortem.status_changed")
    incident = declare_incident(actor=amira, title="Checkout fails", severity=1)
    postmortem = draft_for_incident(incident, actor=amira)
    set_reviewers(postmortem, actor=amira, usernames=[other_responder.username])
    transition(postmortem, actor=amira, action="request_review")
    drain()
    got = {r.json["event"]: r.json["data"] for r in sink.received}
    assert set(got) == {"postmortem.created", "postmortem.status_changed"}
    assert got["postmortem.created"]["ref"] == postmortem.ref
    assert got["postmortem.created"]["incident"] == incident.ref
    changed = got["postmortem.status_changed"]
    assert (changed["previous_status"], changed["status"], changed["actor"]) == (
        "draft",
        "in_review",
        "amira",
    )
    assert changed["url"].endswith(f"/en/postmortems/{postmortem.pk}/")
    for request in sink.received:
        assert_signed(request)

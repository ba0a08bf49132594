"""Signed outbound webhooks, delivered to a real HTTP receiver on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from pytest_django import Settings

from hotwash.actions.services import create_action_item, update_action_item
from hotwash.incidents.services import declare_incident
from hotwash.notifications.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from hotwash.notifications.reminders import scan_reminders
from hotwash.notifications.webhooks import sign, verify
from tests.support.notifications import Received, WebhookSink, drain_sends, make_item

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SECRET = "whsec-for-tests-0123456789"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def subscribe(sink: WebhookSink, *events: str, **fields: Any) -> WebhookSubscription:
    fields.setdefault("secret", SECRET)
    fields.setdefault("name", "chat")
    return WebhookSubscription.objects.create(url=sink.url, events=list(events), **fields)


def drain() -> int:
    """Run the queued tasks; how many sent something (routing is not counted)."""
    return drain_sends()


def assert_signed(request: Received, secret: str = SECRET) -> None:
    timestamp = request.headers["x-hotwash-timestamp"]
    signature = request.headers["x-hotwash-signature"]
    assert signature == sign(secret, timestamp, request.body)
    assert verify(secret, timestamp, request.body, signature)
    assert not verify("another secret", timestamp, request.body, signature)
    assert not verify(secret, timestamp, request.body + b" ", signature)


def test_a_new_action_item_is_posted_signed(sink: WebhookSink, amira: User) -> None:
    subscribe(sink, "action_item.created")
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


def test_changes_and_completion_are_separate_events(sink: WebhookSink, amira: User) -> None:
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
    sink: WebhookSink, amira: User, _clock: time_machine.Traveller
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
    sink: WebhookSink, amira: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(sink, secret="", secret_env="HOTWASH_SECRET_TEST_HOOK")
    monkeypatch.setenv("HOTWASH_SECRET_TEST_HOOK", "from-the-environment")
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    assert_signed(sink.received[0], "from-the-environment")


def test_a_missing_secret_is_a_visible_failure_not_an_unsigned_request(
    sink: WebhookSink, amira: User
) -> None:
    subscribe(sink, "action_item.created", secret="", secret_env="HOTWASH_SECRET_TEST_UNSET")
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    assert sink.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "HOTWASH_SECRET_TEST_UNSET" in delivery.last_error


def test_reminders_are_webhook_events_too(sink: WebhookSink, amira: User) -> None:
    subscribe(sink, "action_item.overdue", "action_item.due_soon")
    soon = make_item(amira, due_on=NOW.date() + timedelta(days=1))
    late = make_item(amira, due_on=NOW.date() - timedelta(days=1))
    scan_reminders(NOW)
    scan_reminders(NOW + timedelta(minutes=5))  # decided once, posted once
    drain()
    got = sorted((r.json["event"], r.json["data"]["ref"]) for r in sink.received)
    assert got == [("action_item.due_soon", soon.ref), ("action_item.overdue", late.ref)]


def test_private_incidents_reach_only_subscriptions_that_include_them(
    sink: WebhookSink, amira: User
) -> None:
    """A private incident's events go to a webhook only when its
    subscription says include_private; even then the action item's own
    words stay out of the body (as before)."""
    chat = subscribe(sink, "action_item.created", "action_item.changed", name="chat")
    restricted = subscribe(
        sink, "action_item.created", "action_item.changed", name="soc", include_private=True
    )
    incident = declare_incident(actor=amira, title="Credential leak", private=True)
    item = create_action_item(actor=amira, title="Rotate the keys", owner=amira, incident=incident)
    update_action_item(item, actor=amira, changes={"title": "Rotate the AWS keys"})
    assert drain() == 2
    assert not WebhookDelivery.objects.filter(subscription=chat).exists()
    assert WebhookDelivery.objects.filter(subscription=restricted).count() == 2
    for request in sink.received:
        data = request.json["data"]
        assert data["private"] is True
        assert data["title"] is None
        assert data["changes"] is None
        assert "Rotate" not in request.body.decode()
    assert json.loads(sink.received[-1].body)["data"]["changed_fields"] == ["title"]


def test_a_public_incidents_action_items_reach_every_subscription(
    sink: WebhookSink, amira: User
) -> None:
    subscribe(sink, "action_item.created", name="chat")
    subscribe(sink, "action_item.created", name="soc", include_private=True)
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    assert drain() == 2
    assert {r.json["data"]["title"] for r in sink.received} == {"Add a canary stage"}


def test_nothing_is_sent_for_a_change_that_rolled_back(sink: WebhookSink, amira: User) -> None:
    subscribe(sink)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_item(amira, due_on=NOW.date() + timedelta(days=5))
        raise RuntimeError("the surrounding work failed")
    assert drain() == 0
    assert not WebhookDelivery.objects.exists()


def test_inactive_subscriptions_and_unwanted_events_get_nothing(
    sink: WebhookSink, amira: User
) -> None:
    subscribe(sink, "action_item.overdue")
    subscribe(sink, active=False)
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    assert drain() == 0
    assert not WebhookDelivery.objects.exists()


def test_postmortems_are_announced_when_drafted_and_when_their_status_changes(
    sink: WebhookSink, amira: User, other_responder: User
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


# --- secrets: names an admin stores, and secrets stored encrypted -------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("HOTWASH_SMTP_URL", "must start with HOTWASH_SECRET_"),
        ("DATABASE_URL", "must start with HOTWASH_SECRET_"),
        ("HOTWASH_SECRET_KEY", "Hotwash's own secret key"),
        ("HOTWASH_SECRET_", "must start with HOTWASH_SECRET_"),
        ("HOTWASH_SECRET_CHAT-HOOK", "letters, digits"),
    ],
)
def test_the_secret_variable_must_be_a_hotwash_secret(
    sink: WebhookSink, name: str, message: str
) -> None:
    subscription = WebhookSubscription(name="chat", url=sink.url, secret_env=name)
    with pytest.raises(ValidationError) as error:
        subscription.full_clean()
    assert message in " ".join(error.value.message_dict["secret_env"])
    WebhookSubscription(name="chat", url=sink.url, secret_env="HOTWASH_SECRET_CHAT").full_clean()


def test_a_stored_row_naming_another_variable_never_reads_it(
    sink: WebhookSink, amira: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTWASH_SMTP_URL", "smtp+tls://bot:smtp-password@smtp.example.org:587")
    # Saved before the rule: the model's validation is not run by create().
    WebhookSubscription.objects.create(
        name="chat", url=sink.url, events=["action_item.created"], secret_env="HOTWASH_SMTP_URL"
    )
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    assert sink.received == []  # nothing signed with the SMTP password
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "HOTWASH_SMTP_URL" in delivery.last_error
    assert "HOTWASH_SECRET_" in delivery.last_error
    assert "smtp-password" not in delivery.last_error


def test_a_check_flags_stored_subscriptions_naming_a_disallowed_variable(
    sink: WebhookSink,
) -> None:
    from django.core.checks import run_checks

    WebhookSubscription.objects.create(name="old", url=sink.url, secret_env="HOTWASH_SMTP_URL")
    subscribe(sink)
    found = [m for m in run_checks(databases=["default"]) if m.id == "notifications.W001"]
    assert len(found) == 1
    assert "HOTWASH_SMTP_URL" in found[0].msg and "old" in found[0].msg
    assert WebhookSubscription.objects.count() == 2  # flagged, not deleted


def raw_rows() -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {WebhookSubscription._meta.db_table}")
        return list(cursor.fetchall())


def test_the_signing_secret_is_stored_encrypted(sink: WebhookSink, amira: User) -> None:
    subscription = subscribe(sink, "action_item.created")
    assert SECRET not in repr(raw_rows())
    assert WebhookSubscription.objects.get(pk=subscription.pk).secret == SECRET
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    assert_signed(sink.received[0])


def test_a_secret_the_current_key_cannot_decrypt_is_a_clear_failure(
    sink: WebhookSink, amira: User, settings: Settings
) -> None:
    subscribe(sink, "action_item.created")
    settings.SECRET_KEY = "a-rotated-secret-key-" + "x" * 40
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    assert sink.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "cannot be decrypted" in delivery.last_error
    assert "HOTWASH_ENCRYPTION_KEY" in delivery.last_error


def test_a_dedicated_encryption_key_survives_a_new_secret_key(
    sink: WebhookSink, amira: User, settings: Settings
) -> None:
    settings.ENCRYPTION_KEY = "a-dedicated-encryption-key-" + "y" * 40
    subscribe(sink, "action_item.created")
    settings.SECRET_KEY = "a-rotated-secret-key-" + "x" * 40
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    assert_signed(sink.received[0])
    settings.ENCRYPTION_KEY = ""
    with pytest.raises(Exception, match="cannot be decrypted"):
        _ = WebhookSubscription.objects.get().secret


def test_the_admin_shows_the_secret_only_when_it_is_created(
    sink: WebhookSink, admin_user: User
) -> None:
    client = Client()
    client.force_login(admin_user)
    form = {"name": "chat", "url": sink.url, "events": "[]", "secret_env": "", "active": "on"}
    created = client.post("/en/admin/notifications/webhooksubscription/add/", form)
    assert created.status_code == 200  # a page that shows the new secret, once
    subscription = WebhookSubscription.objects.get()
    generated = subscription.secret
    assert len(generated) >= 32
    assert generated in created.content.decode()

    page = client.get(
        f"/en/admin/notifications/webhooksubscription/{subscription.pk}/change/"
    ).content.decode()
    assert generated not in page
    assert "stored encrypted" in page

    typed = "whsec-typed-by-the-admin-0123456789"
    client.post(
        "/en/admin/notifications/webhooksubscription/add/",
        {**form, "name": "pager", "secret": typed},
    )
    pager = WebhookSubscription.objects.get(name="pager")
    assert pager.secret == typed
    changed = client.post(
        f"/en/admin/notifications/webhooksubscription/{pager.pk}/change/",
        {**form, "name": "pager", "secret": ""},
    )
    assert changed.status_code == 302
    assert WebhookSubscription.objects.get(pk=pager.pk).secret == typed  # blank keeps it
    page = client.get(
        f"/en/admin/notifications/webhooksubscription/{pager.pk}/change/"
    ).content.decode()
    assert typed not in page


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_plain_secrets() -> None:
    from django.db.migrations.executor import MigrationExecutor

    from hotwash.core.crypto import decrypt

    executor = MigrationExecutor(connection)
    before = [("notifications", "0001_initial")]
    latest = executor.loader.graph.leaf_nodes("notifications")
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        old_model = old_apps.get_model("notifications", "WebhookSubscription")
        old_model.objects.create(name="chat", url="https://hooks.example.org/x", secret=SECRET)
        old_model.objects.create(
            name="env", url="https://hooks.example.org/y", secret="", secret_env="HOTWASH_SECRET_X"
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    assert SECRET not in repr(raw_rows())
    chat = WebhookSubscription.objects.get(name="chat")
    assert chat.secret == SECRET
    assert decrypt(chat.secret_encrypted) == SECRET
    assert WebhookSubscription.objects.get(name="env").secret_encrypted == ""

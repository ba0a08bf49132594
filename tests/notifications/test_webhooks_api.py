"""/api/v1/webhooks: admins subscribe URLs to events, list and remove them;
the signing secret is shown once; every change is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import Settings

from hotwash.accounts.services import create_api_token
from hotwash.core.models import AuditRecord
from hotwash.incidents.services import declare_incident
from hotwash.notifications.models import WebhookDelivery, WebhookSubscription
from hotwash.notifications.webhooks import verify
from tests.support.notifications import WebhookSink, drain_sends

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks"


def _client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)}")


@pytest.fixture
def admin_api(admin_user: User) -> Client:
    return _client(admin_user)


def create(client: Client, **body: Any) -> Any:
    return client.post(URL, body, content_type="application/json")


def test_an_admin_subscribes_and_gets_the_secret_once(
    admin_api: Client, admin_user: User, sink: WebhookSink, responder: User
) -> None:
    response = create(
        admin_api, url=sink.url, events=["incident.resolved", "incident.declared"], name="chat"
    )
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    secret = body["secret"]
    assert len(secret) >= 32
    subscription = WebhookSubscription.objects.get()
    assert body == {
        "id": subscription.pk,
        "name": "chat",
        "url": sink.url,
        "events": ["incident.declared", "incident.resolved"],  # catalogue order
        "include_private": False,
        "active": True,
        "secret_source": "stored",
        "secret_env": "",
        "created_at": body["created_at"],
        "secret": secret,
    }
    assert subscription.secret == secret  # stored (encrypted) for the sender

    # The list never shows it again.
    listed = admin_api.get(URL)
    assert listed.status_code == 200
    assert secret not in listed.content.decode()
    [row] = listed.json()
    assert row["id"] == subscription.pk and "secret" not in row

    # Events reach the URL, signed with that secret.
    declare_incident(actor=responder, title="Checkout fails", detection_source="alert")
    assert drain_sends() == 1
    [request] = sink.received
    headers = request.headers
    assert headers["x-hotwash-event"] == "incident.declared"
    assert verify(
        secret, headers["x-hotwash-timestamp"], request.body, headers["x-hotwash-signature"]
    )

    # Audited, without the secret.
    record = AuditRecord.objects.get(action="webhook.created")
    assert record.actor == admin_user
    assert record.object_id == str(subscription.pk)
    assert record.changes["url"] == sink.url
    assert secret not in repr(record.changes)


def test_with_secret_env_no_secret_is_generated_or_shown(admin_api: Client) -> None:
    response = create(
        admin_api,
        url="https://hooks.example.org/hotwash",
        events=[],
        secret_env="HOTWASH_SECRET_CHAT_HOOK",
        include_private=True,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"] is None
    assert (body["secret_source"], body["secret_env"]) == ("env", "HOTWASH_SECRET_CHAT_HOOK")
    assert (body["name"], body["events"], body["include_private"]) == (
        "hooks.example.org",
        [],
        True,
    )
    assert WebhookSubscription.objects.get().secret_encrypted == ""


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            {"events": ["incident.declared", "incident.exploded", "lunch.served"]},
            "events",
            "incident.exploded, lunch.served",
        ),
        ({"url": "ftp://hooks.example.org/x"}, "url", "not an http:// or https:// URL"),
        ({"url": ""}, "url", "Give the URL"),
        ({"secret_env": "DATABASE_URL"}, "secret_env", "must start with HOTWASH_SECRET_"),
        ({"secret_env": "HOTWASH_SECRET_KEY"}, "secret_env", "Hotwash's own secret key"),
        ({"name": "x" * 101}, "name", "longer than 100"),
    ],
)
def test_bad_input_is_a_422_naming_the_problem(
    admin_api: Client, body: dict[str, Any], field: str, words: str
) -> None:
    payload = {"url": "https://hooks.example.org/x", "events": ["incident.declared"], **body}
    response = create(admin_api, **payload)
    assert response.status_code == 422, response.content
    error = response.json()
    assert error["field"] == field
    assert words in error["message"]
    assert not WebhookSubscription.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="webhook.").exists()


def test_events_are_required(admin_api: Client) -> None:
    response = create(admin_api, url="https://hooks.example.org/x")
    assert response.status_code == 422
    assert response.json()["field"] == "events"


def test_an_internal_address_is_refused_in_production(
    admin_api: Client, settings: Settings
) -> None:
    settings.PRODUCTION = True
    settings.OUTBOUND_ALLOW = []
    response = create(admin_api, url="http://127.0.0.1:9000/hook", events=["incident.declared"])
    assert response.status_code == 422
    error = response.json()
    assert error["field"] == "url"
    assert "HOTWASH_OUTBOUND_ALLOW" in error["message"]
    assert not WebhookSubscription.objects.exists()


def test_only_admins_manage_webhooks(
    responder: User, viewer: User, admin_api: Client, sink: WebhookSink
) -> None:
    existing = create(admin_api, url=sink.url, events=[]).json()
    for user in (responder, viewer):
        client = _client(user)
        assert create(client, url=sink.url, events=[]).status_code == 403
        listed = client.get(URL)
        assert listed.status_code == 403
        assert "Only admins" in listed.json()["message"]
        assert client.delete(f"{URL}/{existing['id']}").status_code == 403
        assert client.delete(f"{URL}/999999").status_code == 403  # nothing learnt
    assert Client().get(URL).status_code == 401
    assert WebhookSubscription.objects.count() == 1


def test_deleting_a_webhook(admin_api: Client, admin_user: User, sink: WebhookSink) -> None:
    created = create(admin_api, url=sink.url, events=["incident.declared"], name="chat").json()
    declare_incident(actor=admin_user, title="Checkout fails", detection_source="alert")
    assert WebhookDelivery.objects.count() == 1  # queued, not yet sent
    response = admin_api.delete(f"{URL}/{created['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert not WebhookSubscription.objects.exists()
    assert drain_sends() == 1  # the queued task finds nothing to send
    assert sink.received == []
    record = AuditRecord.objects.get(action="webhook.deleted")
    assert (record.actor, record.object_id) == (admin_user, str(created["id"]))
    assert record.changes["name"] == "chat"
    assert admin_api.get(URL).json() == []

    missing = admin_api.delete(f"{URL}/{created['id']}")
    assert missing.status_code == 404
    assert str(created["id"]) in missing.json()["message"]
    assert AuditRecord.objects.filter(action="webhook.deleted").count() == 1


def test_messages_are_translated(admin_api: Client) -> None:
    response = admin_api.post(
        URL,
        {"url": "https://hooks.example.org/x", "events": ["lunch.served"]},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 422
    assert response.json()["message"].startswith("Événements inconnus")

"""The `webhook` channel: a notification rule posts events to a URL, with
the envelope, headers and signature of webhook subscriptions, against a
real HTTP receiver on loopback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from pytest_django import Settings

from hotwash.incidents.services import declare_incident
from hotwash.jobs.worker import HotwashWorker
from hotwash.notifications.models import Delivery, DeliveryStatus
from hotwash.notifications.routing import load_notification_policy
from hotwash.notifications.webhooks import verify
from tests.support.notifications import WebhookSink

pytestmark = pytest.mark.django_db

SECRET = "a shared secret of the receiver"


@pytest.fixture
def rules(settings: Settings, tmp_path: Path) -> Callable[[str], None]:
    def use(text: str) -> None:
        path = tmp_path / "notifications.yaml"
        path.write_text(text, encoding="utf-8")
        settings.NOTIFICATION_POLICY_FILE = str(path)

    return use


def rule(url: str, extra: str = "", when: str = "") -> str:
    return f"""
rules:
  - name: hooks
    when: {{events: [incident.declared], severities: [1, 2]{when}}}
    send:
      - webhook: {{url: "{url}"{extra}}}
"""


def drain() -> int:
    return HotwashWorker(
        worker_id="tests", queue_names=["default"], interval=0, periodic=False
    ).drain()


def test_a_rule_posts_the_event_signed_with_cloudevents_headers(
    responder: User,
    sink: WebhookSink,
    rules: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOOKS_SECRET", SECRET)
    rules(rule(sink.url, ", secret_env: HOOKS_SECRET"))
    incident = declare_incident(actor=responder, title="Checkout fails", severity=1)
    declare_incident(actor=responder, title="A typo on the help page", severity=4)
    drain()
    [request] = sink.received
    body = request.json
    assert body["event"] == "incident.declared"
    assert body["data"]["incident"]["ref"] == incident.ref
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["x-hotwash-event"] == "incident.declared"
    assert headers["ce-type"] == "org.hotwash.incident.declared"
    assert headers["ce-subject"] == incident.ref
    assert headers["ce-id"] == headers["x-hotwash-delivery"] == body["delivery"]
    assert verify(
        SECRET, headers["x-hotwash-timestamp"], request.body, headers["x-hotwash-signature"]
    )
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_without_a_secret_the_request_is_not_signed(
    responder: User, sink: WebhookSink, rules: Callable[[str], None]
) -> None:
    rules(rule(sink.url))
    declare_incident(actor=responder, title="Checkout fails", severity=1)
    drain()
    [request] = sink.received
    assert "x-hotwash-signature" not in {name.lower() for name in request.headers}


def test_a_server_error_is_retried_and_a_refusal_fails_at_once(
    responder: User, sink: WebhookSink, rules: Callable[[str], None]
) -> None:
    rules(rule(sink.url))
    sink.statuses = [503]
    declare_incident(actor=responder, title="Checkout fails", severity=1)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_status_code == 503
    assert delivery.next_attempt_at is not None

    Delivery.objects.all().delete()
    sink.statuses = [410]
    declare_incident(actor=responder, title="Search is slow", severity=2)
    drain()
    refused = Delivery.objects.get()
    assert refused.status == DeliveryStatus.FAILED
    assert "HTTP 410" in refused.last_error


def test_a_private_incident_goes_only_through_a_rule_that_says_private(
    responder: User, sink: WebhookSink, rules: Callable[[str], None]
) -> None:
    rules(rule(sink.url))
    declare_incident(actor=responder, title="Leaked keys", severity=1, private=True)
    drain()
    assert sink.received == []
    assert not Delivery.objects.exists()

    rules(rule(sink.url, when=", private: true"))
    declare_incident(actor=responder, title="Leaked keys again", severity=1, private=True)
    drain()
    assert len(sink.received) == 1


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{}", "webhook needs a url"),
        ('{url: "ftp://example.org/x"}', "must be an http or https address"),
        ('{url: "https://example.org/x", token: abc}', "unknown key token"),
        ('{url: "https://example.org/x", secret_env: HOTWASH_SECRET_KEY}', "own secret key"),
    ],
)
def test_a_wrong_target_stops_start_up_naming_it(
    rules: Callable[[str], None], target: str, message: str
) -> None:
    rules(
        f"""
rules:
  - name: hooks
    when: {{events: [incident.declared]}}
    send:
      - webhook: {target}
"""
    )
    with pytest.raises(Exception, match="webhook") as error:
        load_notification_policy()
    assert message in str(error.value)

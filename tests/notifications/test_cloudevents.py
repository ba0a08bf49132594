"""Every webhook POST is also a CloudEvent (1.0, HTTP protocol binding,
binary content mode), read here by a receiver on loopback the way the
binding says a receiver reads one; today's X-Hotwash-* headers and body are
unchanged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from pytest_django import Settings

from hotwash.actions.services import create_action_item
from hotwash.incidents.services import declare_incident, set_status
from hotwash.notifications.models import WebhookDelivery, WebhookSubscription
from hotwash.notifications.webhooks import header_value, rfc3339, verify
from tests.support.notifications import Received, WebhookSink, drain_sends

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SECRET = "whsec-for-tests-0123456789"
REQUIRED = ("specversion", "id", "source", "type")
# RFC 3339 date-time (section 5.6), which CloudEvents' Timestamp type is.
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.IGNORECASE
)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def subscribe(sink: WebhookSink, event: str) -> None:
    subscription = WebhookSubscription(name="broker", url=sink.url, events=[event])
    subscription.secret = SECRET
    subscription.save()


def read_binary_mode(request: Received) -> dict[str, str]:
    """The event's context attributes, as the binding's receiver reads them
    (section 3.1): binary mode, since Content-Type is not
    application/cloudevents...; each ce-* header is one attribute, its value
    percent-decoded once (invalid UTF-8 refused)."""
    content_type = request.headers["content-type"]
    assert not content_type.startswith("application/cloudevents")
    attributes = {
        name.removeprefix("ce-"): unquote(value, errors="strict")
        for name, value in request.headers.items()
        if name.startswith("ce-")
    }
    # 3.1.1: Content-Type is datacontenttype, and no ce-datacontenttype header.
    assert "datacontenttype" not in attributes
    attributes["datacontenttype"] = content_type
    for name, value in request.headers.items():
        if name.startswith("ce-"):
            # 3.1.3.2: printable US-ASCII, space, quote and percent encoded.
            assert re.fullmatch(r"(?:[!#$&-~]|%[0-9A-F]{2})+", value), (name, value)
    return attributes


def test_an_incident_event_is_a_cloudevent(sink: WebhookSink, amira: User) -> None:
    subscribe(sink, "incident.declared")
    incident = declare_incident(actor=amira, title="Checkout fails", detection_source="alert")
    drain_sends()
    [request] = sink.received
    event = read_binary_mode(request)
    for name in REQUIRED:
        assert event[name], name
    delivery = WebhookDelivery.objects.get()
    assert event["specversion"] == "1.0"
    assert event["id"] == str(delivery.id) == request.headers["x-hotwash-delivery"]
    assert event["source"] == settings.SITE_URL + "/"
    assert urlsplit(event["source"]).scheme in ("http", "https")  # an absolute URI-reference
    assert event["type"] == "org.hotwash.incident.declared"
    assert RFC3339.fullmatch(event["time"])
    occurred = datetime.fromisoformat(request.json["occurred_at"])
    assert datetime.fromisoformat(event["time"].replace("Z", "+00:00")) == occurred
    assert event["subject"] == incident.ref
    assert event["datacontenttype"] == "application/json"

    # Today's consumers see what they always saw.
    assert request.headers["x-hotwash-event"] == "incident.declared"
    assert request.body == delivery.body.encode()
    assert set(request.json) == {"delivery", "event", "occurred_at", "data"}
    headers = request.headers
    assert verify(
        SECRET, headers["x-hotwash-timestamp"], request.body, headers["x-hotwash-signature"]
    )


def test_a_retry_is_the_same_cloudevent(
    sink: WebhookSink, amira: User, _clock: time_machine.Traveller
) -> None:
    sink.statuses = [503]
    subscribe(sink, "incident.resolved")
    incident = declare_incident(actor=amira, title="Checkout fails", detection_source="alert")
    set_status(incident, actor=amira, status="resolved")
    drain_sends()
    _clock.shift(timedelta(seconds=61))
    drain_sends()
    first, second = (read_binary_mode(request) for request in sink.received)
    assert first == second  # same id, source, type and time: a receiver can deduplicate
    assert first["type"] == "org.hotwash.incident.resolved"
    assert first["subject"] == incident.ref


def test_action_item_events_carry_their_incident_as_subject(sink: WebhookSink, amira: User) -> None:
    subscribe(sink, "action_item.created")
    incident = declare_incident(actor=amira, title="Checkout fails", detection_source="alert")
    create_action_item(actor=amira, title="Add a canary", owner=amira, incident=incident)
    drain_sends()
    event = read_binary_mode(sink.received[0])
    assert event["type"] == "org.hotwash.action_item.created"
    assert event["subject"] == incident.ref


def test_header_values_are_percent_encoded_as_the_binding_says(settings: Settings) -> None:
    # The binding's own example (section 3.1.3.2).
    assert header_value("Euro € 😀") == "Euro%20%E2%82%AC%20%F0%9F%98%80"
    assert header_value('say "100%"') == "say%20%22100%25%22"
    assert header_value("https://hotwash.example.org/") == "https://hotwash.example.org/"
    assert rfc3339(datetime(2026, 11, 26, 10, 0, tzinfo=UTC)) == "2026-11-26T10:00:00Z"
    paris = datetime.fromisoformat("2026-11-26T11:00:00.250000+01:00")
    assert rfc3339(paris) == "2026-11-26T10:00:00.250000Z"

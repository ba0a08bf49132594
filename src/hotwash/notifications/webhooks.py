"""Signed outbound webhooks.

Each event becomes one WebhookDelivery per active subscription that wants
it, created in the transaction that decided the event, and one task that
POSTs it (retried with backoff): outbox.py creates and enqueues them, this
module signs and sends one. The request:

    POST <subscription url>
    Content-Type: application/json
    X-Hotwash-Event: action_item.overdue
    X-Hotwash-Delivery: 5c7e…            (a UUID, the same on every retry)
    X-Hotwash-Timestamp: 1764201600      (Unix seconds of this attempt)
    X-Hotwash-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
    ce-specversion: 1.0
    ce-id: 5c7e…                         (the delivery, as X-Hotwash-Delivery)
    ce-source: https://hotwash.example.org/   (HOTWASH_SITE_URL + "/")
    ce-type: org.hotwash.action_item.overdue
    ce-time: 2026-11-26T08:00:00Z
    ce-subject: INC-42                   (the incident's reference, when there is one)

    {"delivery": "5c7e…", "event": "action_item.overdue",
     "occurred_at": "2026-11-26T08:00:00+00:00", "data": {…}}

A receiver recomputes the HMAC over the raw body, compares in constant time
and refuses old timestamps (docs/notifications.md has the snippet).

The ce-* headers make each request a CloudEvent in the HTTP binding's
binary content mode (CloudEvents 1.0): the body is the event's data as it
always was and Content-Type its datacontenttype, so receivers written for
the X-Hotwash-* headers keep working and CloudEvents SDKs and brokers
(Knative, Eventarc, Azure Event Grid...) read the same request as an event.
`ce-type` is the event name prefixed with "org.hotwash.": the specification
asks types to start with a reverse-DNS name so that they cannot clash with
another producer's on a shared broker (X-Hotwash-Event keeps the bare name).

The request goes through core/outbound.py's guarded transport: in
production mode an internal address (loopback, private, link-local, ...) is
refused at connection time, after resolving the name, unless
HOTWASH_OUTBOUND_ALLOW lists it; redirects are not followed. A refusal is a
failed attempt like any other: recorded on the delivery and retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from hotwash.core.crypto import SecretUndecryptable
from hotwash.core.outbound import GuardedTransport
from hotwash.core.secret_env import SecretEnvRefused, read_secret_env
from hotwash.notifications.conf import site_url
from hotwash.notifications.models import WebhookDelivery, WebhookEvent, WebhookSubscription

logger = logging.getLogger("hotwash.notifications")

USER_AGENT = "Hotwash-Webhook/1"


class WebhookSecretMissing(RuntimeError):
    """The subscription's secret is unusable: none is given, the variable it
    names is unset or not one Hotwash reads, or the stored one cannot be
    decrypted with the current key."""


def body_for(
    delivery_id: uuid.UUID, event: str, data: dict[str, Any], occurred_at: datetime
) -> str:
    return json.dumps(
        {
            "delivery": str(delivery_id),
            "event": event,
            "occurred_at": occurred_at.isoformat(),
            "data": data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Hotwash-Signature value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300
) -> bool:
    """What a receiver does (and what the tests do): the signature matches
    and the timestamp is within `tolerance` seconds of now."""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


def secret_of(subscription: WebhookSubscription) -> str:
    if subscription.secret_env:
        try:
            value = read_secret_env(subscription.secret_env)
        except SecretEnvRefused as refused:
            raise WebhookSecretMissing(f"Webhook {subscription.name!r}: {refused}") from None
        if not value:
            raise WebhookSecretMissing(
                f"The environment variable {subscription.secret_env} (the secret of webhook "
                f"{subscription.name!r}) is not set in the worker."
            )
        return value
    if not subscription.secret_encrypted:
        raise WebhookSecretMissing(f"Webhook {subscription.name!r} has no secret.")
    try:
        return subscription.secret
    except SecretUndecryptable as error:
        raise WebhookSecretMissing(f"Webhook {subscription.name!r}: {error}") from None


def post(delivery: WebhookDelivery, client_timeout: float) -> int:
    """POST the delivery once; return the HTTP status. Raises on transport
    errors, on a missing secret and on a refused address (OutboundRefused)."""
    body = delivery.body.encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Hotwash-Event": delivery.event,
        "X-Hotwash-Delivery": str(delivery.id),
        "X-Hotwash-Timestamp": timestamp,
        "X-Hotwash-Signature": sign(secret_of(delivery.subscription), timestamp, body),
        **cloudevents_headers(delivery),
    }
    with httpx.Client(
        timeout=client_timeout, follow_redirects=False, transport=GuardedTransport()
    ) as client:
        response = client.post(delivery.subscription.url, content=body, headers=headers)
    return response.status_code


# --- CloudEvents 1.0, HTTP binding, binary content mode -----------------------------

CLOUDEVENTS_TYPE_PREFIX = "org.hotwash."


def cloudevents_headers(delivery: WebhookDelivery) -> dict[str, str]:
    """The ce-* headers of a delivery, from its stored body (so every
    attempt sends the same ones). Content-Type is the event's
    datacontenttype: the binding forbids a ce-datacontenttype header."""
    return cloudevents_headers_for(str(delivery.id), delivery.event, delivery.body)


def cloudevents_headers_for(delivery_id: str, event: str, body: str) -> dict[str, str]:
    """The ce-* headers of one delivery (`body` is its envelope, body_for)."""
    envelope = json.loads(body)
    occurred_at = datetime.fromisoformat(envelope["occurred_at"])
    headers = {
        "ce-specversion": "1.0",
        "ce-id": delivery_id,
        "ce-source": site_url() + "/",
        "ce-type": CLOUDEVENTS_TYPE_PREFIX + event,
        "ce-time": rfc3339(occurred_at),
    }
    subject = incident_ref(envelope.get("data"))
    if subject:
        headers["ce-subject"] = subject
    return {name: header_value(value) for name, value in headers.items()}


def rfc3339(moment: datetime) -> str:
    """A CloudEvents Timestamp: RFC 3339 in UTC, "Z", microseconds only when there are some."""
    utc = moment.astimezone(UTC)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds").replace(
        "+00:00", "Z"
    )


def incident_ref(data: Any) -> str | None:
    """The reference of the incident an event is about: the snapshot's of
    an incident event, the plain reference action items and postmortems
    carry, or none."""
    if not isinstance(data, dict):
        return None
    incident = data.get("incident")
    if isinstance(incident, dict):
        incident = incident.get("ref")
    return incident if isinstance(incident, str) and incident else None


def header_value(text: str) -> str:
    """The binding's percent-encoding of a header value: space, double
    quote, percent and anything outside printable ASCII, as UTF-8 bytes."""
    return "".join(
        char
        if "!" <= char <= "~" and char not in '"%'
        else "".join(f"%{byte:02X}" for byte in char.encode())
        for char in text
    )


def events_for_change(changes: dict[str, Any]) -> str:
    """The one event an action item's change is: created, done, or changed."""
    if changes.get("created"):
        return WebhookEvent.ACTION_CREATED
    status = changes.get("status")
    if isinstance(status, dict) and status.get("to") == "done":
        return WebhookEvent.ACTION_DONE
    return WebhookEvent.ACTION_CHANGED

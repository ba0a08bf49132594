"""API routes for outbound webhooks, mounted under /api/v1/: subscribe a
URL to events, list the subscriptions, remove one. Admins only. The signing
secret is in the answer to the POST that created it, and nowhere after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import P, PathEx, Router, Status
from pydantic import Field

from hotwash.accounts.api_auth import caller
from hotwash.core.api.errors import ERRORS
from hotwash.core.api.present import local
from hotwash.core.api.schemas import ApiModel
from hotwash.notifications import subscriptions
from hotwash.notifications.events import EventType
from hotwash.notifications.models import WebhookSubscription

router = Router(tags=["Webhooks"])

WebhookId = PathEx[int, P(description="The webhook subscription's id.")]

EVENTS_DOC = (
    "Event names from the catalogue (docs/communications.md#incident-events-and-outbound-webhooks), e.g. "
    '["incident.declared", "incident.resolved"]; an empty list means every event, '
    "including those added in later versions."
)


class WebhookIn(ApiModel):
    """A URL to POST signed events to."""

    url: str = Field(
        description="Where to POST each event (http or https). In production mode an "
        "internal address is refused unless HOTWASH_OUTBOUND_ALLOW lists it.",
        examples=["https://hooks.example.org/hotwash"],
    )
    events: list[str] = Field(
        description=EVENTS_DOC,
        json_schema_extra={"items": {"type": "string", "enum": list(EventType.values)}},
    )
    name: str = Field("", description="A name for people (default: the URL's host).")
    secret_env: str = Field(
        "",
        description="The name of an environment variable of the worker holding the signing "
        "secret; it must start with HOTWASH_SECRET_. Without it, Hotwash generates a secret "
        "and returns it once.",
        examples=["HOTWASH_SECRET_CHAT_WEBHOOK"],
    )
    include_private: bool = Field(
        False,
        description="Also send events of private incidents. Leave false unless the receiver "
        "is as restricted as the incidents themselves.",
    )


class WebhookOut(ApiModel):
    id: int = Field(description="The subscription's id.")
    name: str = Field(description="Its name.")
    url: str = Field(description="Where events are POSTed.")
    events: list[str] = Field(description="The events it receives; empty means every event.")
    include_private: bool = Field(description="Whether it receives private incidents' events.")
    active: bool = Field(description="Whether events are sent to it.")
    secret_source: str = Field(
        description="Where the signing secret comes from: stored (encrypted, generated or "
        "typed in) or env (the variable secret_env names). Never the secret itself."
    )
    secret_env: str = Field(description="The variable holding the secret, or empty.")
    created_at: datetime = Field(description="When it was created.")


class WebhookCreated(WebhookOut):
    secret: str | None = Field(
        description="The signing secret Hotwash generated: shown in this answer only, keep it "
        "now. Null when it comes from secret_env."
    )


def present_webhook(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "url": subscription.url,
        "events": list(subscription.events),
        "include_private": subscription.include_private,
        "active": subscription.active,
        "secret_source": "env" if subscription.secret_env else "stored",
        "secret_env": subscription.secret_env,
        "created_at": local(subscription.created_at),
    }


@router.post(
    "/webhooks",
    response={201: WebhookCreated, **ERRORS},
    summary="Subscribe a URL to events",
    operation_id="create_webhook",
)
def create_webhook(
    request: HttpRequest, payload: WebhookIn, response: HttpResponse
) -> Status[dict[str, Any]]:
    """Hotwash POSTs each of these events to the URL, signed with HMAC-SHA256
    (X-Hotwash-Signature) and with CloudEvents 1.0 headers (ce-*). The answer
    carries the generated signing secret, once; with `secret_env`, the
    secret stays in the worker's environment and the answer has none.
    Unknown events are refused (422, naming them). Admins only: anyone else
    gets 403."""
    created = subscriptions.create_webhook(
        actor=caller(request),
        url=payload.url,
        events=payload.events,
        name=payload.name,
        secret_env=payload.secret_env,
        include_private=payload.include_private,
    )
    # A secret in the answer: no cache on the way may keep it.
    response["Cache-Control"] = "no-store"
    return Status(201, present_webhook(created.subscription) | {"secret": created.secret})


@router.get(
    "/webhooks",
    response={200: list[WebhookOut], **ERRORS},
    summary="List webhook subscriptions",
    operation_id="list_webhooks",
)
def list_webhooks(request: HttpRequest) -> list[dict[str, Any]]:
    """Every webhook subscription, by name, with the events it receives and
    where its signing secret comes from (never the secret). Admins only:
    anyone else gets 403."""
    subscriptions.require_admin(caller(request))
    return [present_webhook(row) for row in WebhookSubscription.objects.order_by("name", "id")]


@router.delete(
    "/webhooks/{webhook_id}",
    response={204: None, **ERRORS},
    summary="Remove a webhook subscription",
    operation_id="delete_webhook",
)
def delete_webhook(request: HttpRequest, webhook_id: WebhookId) -> Status[None]:
    """Stop sending events to this subscription and remove it with its
    delivery records; the audit trail keeps what it was. 404 if there is no
    such subscription. Admins only: anyone else gets 403."""
    subscriptions.delete_webhook(actor=caller(request), subscription_id=webhook_id)
    return Status(204, None)

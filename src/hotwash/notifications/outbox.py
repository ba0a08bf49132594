"""Outbound webhook events into the outbox: one WebhookDelivery per active
subscription that wants the event, created in the transaction that decided
it, and one queued task (tasks.deliver_webhook) that POSTs it.

Apart from webhooks.py, which signs and sends a delivery, so that the task
module can import the sender and this module the task, with no cycle.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from hotwash.jobs.queue import enqueue_many
from hotwash.notifications.models import WebhookDelivery, WebhookSubscription
from hotwash.notifications.tasks import deliver_webhook
from hotwash.notifications.webhooks import body_for


def emit_many(events: Sequence[tuple[str, dict[str, Any]]], now: datetime) -> int:
    """Create and enqueue the deliveries of `events` ((event, data) pairs) to
    every active subscription that wants them; return how many. Call inside
    the transaction that decided the events."""
    if not events:
        return 0
    subscriptions = list(WebhookSubscription.objects.filter(active=True))
    if not subscriptions:
        return 0
    deliveries = []
    for event, data in events:
        for subscription in subscriptions:
            if subscription.wants(event):
                delivery_id = uuid.uuid4()
                deliveries.append(
                    WebhookDelivery(
                        id=delivery_id,
                        subscription=subscription,
                        event=event,
                        body=body_for(delivery_id, event, data, now),
                        created_at=now,
                    )
                )
    WebhookDelivery.objects.bulk_create(deliveries)
    return enqueue_many(deliver_webhook, [((str(d.id),), {}) for d in deliveries])


def emit(event: str, data: dict[str, Any], now: datetime | None = None) -> int:
    return emit_many([(event, data)], now or timezone.now())

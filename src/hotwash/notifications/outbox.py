"""The outbox: events recorded in the transaction of the change that
caused them, and delivered by the worker after the commit.

`emit_event` (one event) and `emit_many` (a scan's batch) write, in the
caller's transaction:
- one `Event` row per event (what happened, to which incident, whether it
  was private, a JSON snapshot);
- one `WebhookDelivery` per active webhook subscription that wants it, and
  one queued `deliver_webhook` task each (the body is built once and sent
  the same on every retry);
- one queued `route_event` task per event, which decides the rest (rules,
  followers, status page subscribers; routing.py).

The tasks are rows in the same database, so they exist if and only if the
change committed: a crash loses no event and invents none.

Apart from webhooks.py, which signs and sends a delivery, so that the task
module can import the sender and this module the task, with no cycle.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from hotwash.jobs.queue import enqueue_many
from hotwash.notifications.events import EventType
from hotwash.notifications.models import Event, WebhookDelivery, WebhookSubscription
from hotwash.notifications.routing import route_event
from hotwash.notifications.tasks import deliver_webhook
from hotwash.notifications.webhooks import body_for


def emit_event(
    event_type: str,
    data: dict[str, Any],
    *,
    incident: Any = None,
    private: bool | None = None,
    actor: Any = None,
    now: datetime | None = None,
) -> Event:
    """Record `event_type` in the outbox and queue its delivery; return the
    Event. Call it inside the transaction of the change it reports.
    `incident` (an Incident or None) ties the event to it; `private`
    defaults to the incident's privacy."""
    is_private = bool(getattr(incident, "private", False) if private is None else private)
    events, _webhooks = _record(
        [(event_type, data, incident, is_private)], actor=actor, now=now or timezone.now()
    )
    return events[0]


def emit_many(events: Sequence[tuple[str, dict[str, Any]]], now: datetime) -> int:
    """Record `events` ((event, data) pairs, none tied to an incident row:
    a scan's reminders) and queue their deliveries; return how many webhook
    deliveries were queued. Call inside the transaction that decided them.
    `data["private"]` marks the event of a private incident."""
    rows = [(event, data, None, bool(data.get("private"))) for event, data in events]
    _events, webhooks = _record(rows, actor=None, now=now)
    return webhooks


def emit(event: str, data: dict[str, Any], now: datetime | None = None) -> int:
    """One event not tied to an incident row; see emit_many."""
    return emit_many([(event, data)], now or timezone.now())


def _record(
    rows: Sequence[tuple[str, dict[str, Any], Any, bool]], *, actor: Any, now: datetime
) -> tuple[list[Event], int]:
    """The Event rows written and how many webhook deliveries were queued."""
    if not rows:
        return [], 0
    for event_type, *_rest in rows:
        if event_type not in EventType.values:
            raise ValueError(f"Unknown event type {event_type!r}; add it to EventType.")
    person = actor if isinstance(actor, User) else None
    events = [
        Event(
            id=uuid.uuid4(),
            type=event_type,
            occurred_at=now,
            incident=incident,
            private=private,
            actor=person,
            data=data,
        )
        for event_type, data, incident, private in rows
    ]
    Event.objects.bulk_create(events)
    webhooks = _queue_webhooks(events, now)
    enqueue_many(route_event, [((str(event.id),), {}) for event in events])
    return events, webhooks


def _queue_webhooks(events: Sequence[Event], now: datetime) -> int:
    subscriptions = list(WebhookSubscription.objects.filter(active=True))
    deliveries = []
    for event in events:
        for subscription in subscriptions:
            if subscription.wants(event.type, private=event.private):
                delivery_id = uuid.uuid4()
                deliveries.append(
                    WebhookDelivery(
                        id=delivery_id,
                        subscription=subscription,
                        event=event.type,
                        source=event,
                        body=body_for(delivery_id, event.type, event.data, now),
                        created_at=now,
                    )
                )
    WebhookDelivery.objects.bulk_create(deliveries)
    return enqueue_many(deliver_webhook, [((str(d.id),), {}) for d in deliveries])


def settle_history(*, before: datetime) -> int:
    """Treat the events recorded up to `before` and not yet routed as
    already told: mark them routed at the time they happened and withdraw
    their queued routing tasks. For history written after the fact (the
    demo's stories), which nobody should be paged or mailed about today.
    Webhook deliveries are left alone (the demo has no subscriptions).
    Returns how many events were settled."""
    events = Event.objects.filter(routed_at__isnull=True, occurred_at__lte=before)
    settled = {str(pk) for pk in events.values_list("pk", flat=True)}
    if not settled:
        return 0
    queued = DBTaskResult.objects.filter(
        task_path=route_event.module_path, status=TaskResultStatus.READY
    )
    withdrawn = [task.pk for task in queued.only("pk", "args_kwargs") if _event_id(task) in settled]
    DBTaskResult.objects.filter(pk__in=withdrawn).delete()
    return events.update(routed_at=F("occurred_at"))


def _event_id(task: DBTaskResult[Any, Any]) -> str | None:
    args = (task.args_kwargs or {}).get("args") or []
    return str(args[0]) if args else None

"""Webhook events for changes to action items (hotwash.actions.signals) and
postmortems (hotwash.postmortems.signals). The receivers run inside the
change's transaction: the deliveries and their tasks commit (or roll back)
with the change itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User

from hotwash.notifications.models import WebhookEvent
from hotwash.notifications.outbox import emit
from hotwash.notifications.reminders import action_item_data, postmortem_data
from hotwash.notifications.webhooks import events_for_change


def on_action_item_changed(
    sender: Any, *, item: Any, actor: Any, changes: dict[str, Any], now: datetime, **kwargs: Any
) -> None:
    private = bool(item.incident_id and item.incident.private)
    data = action_item_data(
        {
            "pk": item.pk,
            "title": item.title,
            "status": item.status,
            "priority": item.priority,
            "kind": item.kind,
            "due_on": item.due_on,
            "owner_username": item.owner.get_username() if item.owner_id else None,
            "incident_id": item.incident_id,
            "postmortem_id": item.postmortem_id,
            "private": private,
        }
    )
    fields = sorted(key for key in changes if key != "created")
    data["changed_fields"] = [] if changes.get("created") else fields
    # A private incident's details stay out of wider channels.
    data["changes"] = None if private else changes
    data["actor"] = _actor(actor)
    emit(events_for_change(changes), data, now)


def _actor(actor: Any) -> str | None:
    return actor.get_username() if isinstance(actor, User) else None


def _postmortem(postmortem: Any) -> dict[str, Any]:
    return postmortem_data(
        {
            "pk": postmortem.pk,
            "title": postmortem.title,
            "status": postmortem.status,
            "required": postmortem.required,
            "due_on": postmortem.due_on,
            "owner_username": postmortem.owner.get_username() if postmortem.owner_id else None,
            "incident_id": postmortem.incident_id,
            "private": bool(postmortem.incident_id and postmortem.incident.private),
        }
    )


def on_postmortem_created(
    sender: Any, *, postmortem: Any, actor: Any, now: datetime, **kwargs: Any
) -> None:
    data = _postmortem(postmortem) | {"actor": _actor(actor)}
    emit(WebhookEvent.POSTMORTEM_CREATED, data, now)


def on_postmortem_status_changed(
    sender: Any, *, postmortem: Any, actor: Any, previous: str, now: datetime, **kwargs: Any
) -> None:
    data = _postmortem(postmortem) | {"actor": _actor(actor), "previous_status": previous}
    emit(WebhookEvent.POSTMORTEM_STATUS_CHANGED, data, now)

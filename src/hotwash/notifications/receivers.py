"""Events for what happens to incidents (hotwash.incidents.signals), trigger
policies (hotwash.triggers.signals), action items (hotwash.actions.signals)
and postmortems (hotwash.postmortems.signals), into the outbox. The
receivers run inside the change's transaction: the events and their tasks
commit (or roll back) with the change itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User

from hotwash.incidents.models import Status
from hotwash.notifications.events import EventType
from hotwash.notifications.models import WebhookEvent
from hotwash.notifications.outbox import emit, emit_event
from hotwash.notifications.payloads import incident_data, services_named_by
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
    if postmortem.status == "published":
        emit(EventType.POSTMORTEM_PUBLISHED, data, now)


# --- incidents ------------------------------------------------------------------


def _incident_event(
    event_type: str, incident: Any, actor: Any, now: datetime, **extra: Any
) -> None:
    data = {"incident": incident_data(incident), "actor": _actor(actor), **extra}
    emit_event(event_type, data, incident=incident, actor=actor, now=now)


def on_incident_declared(
    sender: Any, *, incident: Any, actor: Any, now: datetime, **kwargs: Any
) -> None:
    _incident_event(EventType.INCIDENT_DECLARED, incident, actor, now)


def on_incident_updated(
    sender: Any, *, incident: Any, actor: Any, changes: dict[str, Any], now: datetime, **kwargs: Any
) -> None:
    """One event per kind of change that matters outside: made private
    first (so nothing after it is mistaken for public), then severity, then
    status (and resolved or closed on top of the status change)."""
    if changes.get("private", {}).get("to") is True:
        _incident_event(EventType.INCIDENT_MADE_PRIVATE, incident, actor, now)
    if "severity" in changes:
        _incident_event(
            EventType.INCIDENT_SEVERITY_CHANGED, incident, actor, now, change=changes["severity"]
        )
    if "status" in changes:
        change = changes["status"]
        _incident_event(EventType.INCIDENT_STATUS_CHANGED, incident, actor, now, change=change)
        if change.get("to") == Status.RESOLVED:
            _incident_event(EventType.INCIDENT_RESOLVED, incident, actor, now, change=change)
        elif change.get("to") == Status.CLOSED:
            if change.get("from") != Status.RESOLVED:
                # Closed straight from an open status: it is resolved too.
                _incident_event(EventType.INCIDENT_RESOLVED, incident, actor, now, change=change)
            _incident_event(EventType.INCIDENT_CLOSED, incident, actor, now, change=change)


def on_role_assigned(
    sender: Any,
    *,
    incident: Any,
    actor: Any,
    role: str,
    previous: str | None,
    holder: str | None,
    now: datetime,
    **kwargs: Any,
) -> None:
    change = {"role": role, "from": previous, "to": holder}
    # assign_role sends the caller's copy of the incident, read before the
    # row was locked: read it again (the lock is held), so the snapshot and
    # its privacy are those of this moment, not of the caller's page load.
    incident = type(incident).objects.get(pk=incident.pk)
    _incident_event(EventType.INCIDENT_ROLE_ASSIGNED, incident, actor, now, change=change)


def on_policy_fired(sender: Any, *, firing: Any, proposal: Any, **kwargs: Any) -> None:
    """Every firing is a `policy.fired` event (the trigger policies'
    "notify" mode reaches people through the rules that match it); one that
    proposed an incident is also `proposal.raised`."""
    incident = firing.incident
    data: dict[str, Any] = {
        "policy": firing.policy_id,
        "trigger": firing.trigger,
        "mode": firing.mode,
        "action": firing.action,
        "details": firing.details,
        "incident": incident_data(incident) if incident is not None else None,
    }
    # Whom a rule's "owning-team" reaches when no incident was opened (the
    # notify mode): the services the alerts' labels name.
    data["services"] = (
        data["incident"]["services"]
        if incident is not None
        else services_named_by((firing.details or {}).get("labels") or {})
    )
    if proposal is not None:
        data["proposal"] = {"id": proposal.pk, "title": proposal.title}
    emit_event(EventType.POLICY_FIRED, data, incident=incident, now=firing.fired_at)
    if proposal is not None:
        emit_event(EventType.PROPOSAL_RAISED, data, incident=incident, now=firing.fired_at)

"""Action items as JSON-ready dicts, in the caller's language and zone
(`present_<thing>(obj, ...)`, like every presenter: hotwash.core.api.present)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from hotwash.actions.models import ActionItem, Kind, Priority, Status
from hotwash.core.api.present import display_name, local, object_url
from hotwash.core.choices import choice_label


def item_url(item: ActionItem, request: HttpRequest) -> str:
    """The item's web page, in the active language."""
    return object_url(request, "actions:detail", item.pk)


def present_item(
    item: ActionItem, request: HttpRequest, today: date | None = None
) -> dict[str, Any]:
    """The item's JSON. "Overdue" is judged against today in the caller's
    zone; pass `today` when presenting many, so all are judged alike."""
    owner = item.owner
    return {
        "id": item.ref,
        "number": item.pk,
        "title": item.title,
        "description": item.description,
        "owner": owner.get_username() if owner is not None else None,
        "owner_name": display_name(owner) if owner is not None else None,
        "due": item.due_on,
        "overdue": item.is_overdue(today or timezone.localdate()),
        "priority": item.priority,
        "priority_name": choice_label(Priority, item.priority),
        "kind": item.kind,
        "kind_name": choice_label(Kind, item.kind),
        "status": item.status,
        "status_name": choice_label(Status, item.status),
        "reason": item.wont_do_reason,
        "team": item.team.slug if item.team is not None else None,
        "team_name": item.team.name if item.team is not None else None,
        "incident": f"INC-{item.incident_id}" if item.incident_id is not None else None,
        "postmortem": f"PM-{item.postmortem_id}" if item.postmortem_id is not None else None,
        "created_at": local(item.created_at),
        "created_by": item.created_by.get_username() if item.created_by is not None else None,
        "updated_at": local(item.updated_at),
        "done_at": local(item.done_at),
        "url": item_url(item, request),
    }


def present_items(items: list[ActionItem], request: HttpRequest) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [present_item(item, request, today) for item in items]

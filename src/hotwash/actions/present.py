"""Action items as JSON-ready dicts, in the caller's language and zone."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from hotwash.actions.models import ActionItem, Kind, Priority, Status
from hotwash.incidents.present import display_name, label, local


class ItemPresenter:
    """Renders for one request: the web address is built from it, and
    "overdue" is judged against today in the caller's zone."""

    _PLACEHOLDER = "999999999"

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.today: date = timezone.localdate()
        self._url = request.build_absolute_uri(
            reverse("actions:detail", args=[int(self._PLACEHOLDER)])
        )

    def url(self, item: ActionItem) -> str:
        return self._url.replace(self._PLACEHOLDER, str(item.pk))

    def item(self, item: ActionItem) -> dict[str, Any]:
        owner = item.owner
        return {
            "id": item.ref,
            "number": item.pk,
            "title": item.title,
            "description": item.description,
            "owner": owner.get_username() if owner is not None else None,
            "owner_name": display_name(owner) if owner is not None else None,
            "due": item.due_on,
            "overdue": item.is_overdue(self.today),
            "priority": item.priority,
            "priority_name": label(Priority, item.priority),
            "kind": item.kind,
            "kind_name": label(Kind, item.kind),
            "status": item.status,
            "status_name": label(Status, item.status),
            "reason": item.wont_do_reason,
            "team": item.team.slug if item.team is not None else None,
            "team_name": item.team.name if item.team is not None else None,
            "incident": f"INC-{item.incident_id}" if item.incident_id is not None else None,
            "postmortem": f"PM-{item.postmortem_id}" if item.postmortem_id is not None else None,
            "created_at": local(item.created_at),
            "created_by": item.created_by.get_username() if item.created_by is not None else None,
            "updated_at": local(item.updated_at),
            "done_at": local(item.done_at),
            "url": self.url(item),
        }

    def items(self, items: list[ActionItem]) -> list[dict[str, Any]]:
        return [self.item(item) for item in items]

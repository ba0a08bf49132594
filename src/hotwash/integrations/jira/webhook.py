"""Jira Cloud's admin webhooks (with a secret): `jira:issue_updated` whose
changelog changes the status, signed in X-Hub-Signature (checked by
trackers/webhooks.py). The issue counts as closed when its status is in the
"done" category."""

from __future__ import annotations

from typing import Any

from hotwash.trackers.clients import parse_time
from hotwash.trackers.models import TrackerConfig
from hotwash.trackers.webhooks import WebhookEvent


def read_webhook(tracker: TrackerConfig, payload: dict[str, Any]) -> WebhookEvent:
    event = str(payload.get("webhookEvent", ""))
    changes = (payload.get("changelog") or {}).get("items") or []
    status_changed = any(
        isinstance(change, dict) and (change.get("fieldId") or change.get("field")) == "status"
        for change in changes
    )
    if event != "jira:issue_updated" or not status_changed:
        return WebhookEvent(ignored=event)
    issue = payload["issue"]
    fields = issue.get("fields") or {}
    category = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
    key = str(issue["key"])
    project = str((fields.get("project") or {}).get("key") or key.rsplit("-", 1)[0])
    return WebhookEvent(
        key=key,
        closed=category == "done",
        updated_at=parse_time(fields.get("updated")),
        other_project=project.upper() != tracker.project.upper(),
    )

"""GitHub's issue webhooks: event `issues` with action `closed` or
`reopened`, signed in X-Hub-Signature-256 (checked by trackers/webhooks.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hotwash.trackers.clients import parse_time
from hotwash.trackers.models import TrackerConfig
from hotwash.trackers.webhooks import WebhookEvent


def read_webhook(
    tracker: TrackerConfig, headers: Mapping[str, str], payload: dict[str, Any]
) -> WebhookEvent:
    event = headers.get("X-GitHub-Event", "")
    if event == "ping":
        return WebhookEvent(ignored="ping")
    action = payload.get("action")
    if event != "issues" or action not in ("closed", "reopened"):
        return WebhookEvent(ignored=f"{event} {action or ''}".strip())
    issue = payload["issue"]
    repository = str(payload["repository"]["full_name"])
    return WebhookEvent(
        key=str(issue["number"]),
        closed=action == "closed",
        updated_at=parse_time(issue.get("updated_at")),
        other_project=repository.lower() != tracker.project.lower(),
    )

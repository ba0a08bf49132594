"""GitLab's issue webhooks: `Issue Hook` with `object_attributes.action`
`close` or `reopen`, carrying the secret itself in X-Gitlab-Token (checked
by trackers/webhooks.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hotwash.trackers.clients import parse_time
from hotwash.trackers.models import TrackerConfig
from hotwash.trackers.webhooks import WebhookEvent


def read_webhook(
    tracker: TrackerConfig, headers: Mapping[str, str], payload: dict[str, Any]
) -> WebhookEvent:
    event = headers.get("X-Gitlab-Event", "")
    attributes = payload.get("object_attributes") or {}
    action = attributes.get("action")
    if payload.get("object_kind") != "issue" or action not in ("close", "reopen"):
        return WebhookEvent(
            ignored=f"{event or payload.get('object_kind', '')} {action or ''}".strip()
        )
    project = payload.get("project") or {}
    ours = tracker.project.lower()
    names = {str(project.get("id", "")), str(project.get("path_with_namespace", "")).lower()}
    return WebhookEvent(
        key=str(attributes["iid"]),
        closed=action == "close",
        updated_at=parse_time(attributes.get("updated_at")),
        other_project=ours not in names,
    )

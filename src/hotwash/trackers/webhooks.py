"""Checking and reading the webhooks trackers send when an issue changes.

- GitHub: `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body>`,
  event `issues` with action `closed` or `reopened`.
- GitLab: `X-Gitlab-Token: <secret>` (compared in constant time),
  `Issue Hook` with `object_attributes.action` `close` or `reopen`.
- Jira Cloud (admin webhooks with a secret): `X-Hub-Signature:
  sha256=<HMAC-SHA256 of the raw body>`, `jira:issue_updated` whose changelog
  changes the status; the issue counts as closed when its status is in the
  "done" category.

A tracker without a webhook secret accepts no webhooks at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from hotwash.core.errors import DomainError, InvalidInput
from hotwash.trackers.clients import parse_time
from hotwash.trackers.credentials import CredentialMissing, webhook_secret
from hotwash.trackers.models import TrackerConfig, TrackerKind


class SignatureRefused(DomainError):
    """The webhook is not signed with the tracker's secret: nothing is read."""

    status_code = 401


@dataclass
class WebhookEvent:
    """A close or reopen of issue `key` (of this tracker's project), or
    something to ignore (`ignored` says what)."""

    key: str = ""
    closed: bool = False
    updated_at: datetime | None = None
    ignored: str = ""
    other_project: bool = False


def _hmac_sha256(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(tracker: TrackerConfig, headers: Mapping[str, str], body: bytes) -> None:
    """Raise SignatureRefused unless the request carries the tracker's secret."""
    try:
        secret = webhook_secret(tracker)
    except CredentialMissing:
        secret = None
    if not secret:
        raise SignatureRefused(
            _(
                "This tracker has no webhook secret configured, so Hotwash accepts no "
                "webhooks for it. Set one in the tracker's settings."
            )
        )
    if tracker.kind == TrackerKind.GITLAB:
        sent = headers.get("X-Gitlab-Token", "")
        expected = secret
        header = "X-Gitlab-Token"
    else:
        header = "X-Hub-Signature-256" if tracker.kind == TrackerKind.GITHUB else "X-Hub-Signature"
        sent = headers.get(header, "")
        expected = _hmac_sha256(secret, body)
    if not sent:
        raise SignatureRefused(
            _("The webhook has no %(header)s header; it must be signed with the secret.")
            % {"header": header}
        )
    if not hmac.compare_digest(sent.strip().encode(), expected.encode()):
        raise SignatureRefused(
            _("The webhook's %(header)s does not match this tracker's secret.") % {"header": header}
        )


def parse(tracker: TrackerConfig, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
    """What a verified webhook says."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput(_("The webhook's body is not JSON.")) from None
    if not isinstance(payload, dict):
        raise InvalidInput(_("The webhook's body is not a JSON object."))
    try:
        if tracker.kind == TrackerKind.GITHUB:
            return _github(tracker, headers, payload)
        if tracker.kind == TrackerKind.GITLAB:
            return _gitlab(tracker, headers, payload)
        return _jira(tracker, payload)
    except (KeyError, TypeError, AttributeError):
        raise InvalidInput(
            _("The webhook does not have the fields this tracker's webhooks have.")
        ) from None


def _github(
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


def _gitlab(
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


def _jira(tracker: TrackerConfig, payload: dict[str, Any]) -> WebhookEvent:
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

"""API routes for trackers, mounted under /api/v1/: push an action item to
its team's tracker, and the webhook trackers call when an issue changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import P, PathEx, Router, Status
from ninja.security import APIKeyHeader
from pydantic import Field

from hotwash.actions.models import Status as ItemStatus
from hotwash.actions.queries import get_item
from hotwash.actions.schemas import ItemRef
from hotwash.api.auth import caller
from hotwash.api.schemas import ERRORS, ApiModel, one_of
from hotwash.core.errors import NotFound
from hotwash.trackers import services, webhooks
from hotwash.trackers.display import describe_error, describe_state
from hotwash.trackers.models import IssueState, SyncState, TrackerConfig, TrackerLink
from hotwash.trackers.registry import trackers

router = Router(tags=["Trackers"])

TrackerId = PathEx[
    int,
    P(description="The tracker's number, shown as its webhook address in the admin.", examples=[3]),
]


class TrackerWebhookSignature(APIKeyHeader):
    """A tracker's webhook proves itself with the tracker's webhook secret:
    GitHub signs the body (X-Hub-Signature-256), Jira Cloud too
    (X-Hub-Signature), GitLab sends the secret itself (X-Gitlab-Token).
    Checked before anything is read; the tracker is the request's `auth`."""

    param_name = "X-Hub-Signature-256"
    openapi_description = (
        "The tracker's webhook secret: GitHub's X-Hub-Signature-256 or Jira's "
        "X-Hub-Signature (sha256=HMAC-SHA256 of the body), or GitLab's X-Gitlab-Token."
    )

    def __call__(self, request: HttpRequest) -> TrackerConfig:
        match = request.resolver_match
        tracker_id = match.kwargs.get("tracker_id") if match is not None else None
        number = str(tracker_id or "")
        tracker = TrackerConfig.objects.filter(pk=int(number)).first() if number.isdigit() else None
        if tracker is None:
            raise NotFound(_("There is no tracker %(id)s.") % {"id": tracker_id})
        webhooks.verify(tracker, request.headers, request.body)
        return tracker

    def authenticate(self, request: HttpRequest, key: str | None) -> TrackerConfig | None:
        return None  # __call__ does the work; it needs the body, not just the header


class TrackerLinkOut(ApiModel):
    item: str = Field(description="The action item, e.g. AI-7.")
    tracker: str = Field(description="The tracker.", json_schema_extra=one_of(trackers.kinds()))
    project: str = Field(description="Repository, project path or id, or Jira project key.")
    sync_state: str = Field(
        description="pending: waiting to be sent (or retrying); synced: the issue exists; "
        "failed: Hotwash gave up, see `error`.",
        json_schema_extra=one_of(SyncState.values),
    )
    state: str = Field(description="The sync state in the request's language.")
    issue: str = Field(
        description="The issue: owner/repo#42, group/project#7 or OPS-12; empty until it exists."
    )
    issue_state: str = Field(
        description="The issue's state in the tracker, as last seen; empty until known.",
        json_schema_extra=one_of(IssueState.values),
    )
    url: str = Field(description="The issue's page in the tracker; empty until it exists.")
    attempts: int = Field(description="Attempts made in the current series.")
    error: str = Field(
        description="What went wrong last, in the request's language; empty if nothing."
    )
    error_detail: str = Field(description="The tracker's own answer, for an administrator.")
    next_attempt_at: datetime | None = Field(description="When Hotwash tries again, or null.")
    last_synced_at: datetime | None = Field(
        description="When Hotwash last heard from the tracker about this issue."
    )


class WebhookOut(ApiModel):
    changed: bool = Field(description="Whether the issue's state changed (and so the item).")
    item: str | None = Field(description="The linked action item, or null for ignored events.")
    status: str | None = Field(description="The item's status afterwards, or null.")
    detail: str = Field(description="What Hotwash did with the event.")


def _local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def present(link: TrackerLink) -> dict[str, Any]:
    return {
        "item": link.item.ref,
        "tracker": link.tracker.kind,
        "project": link.tracker.project,
        "sync_state": link.sync_state,
        "state": describe_state(link),
        "issue": link.display_key,
        "issue_state": link.issue_state,
        "url": link.url,
        "attempts": link.attempts,
        "error": describe_error(link) if link.error_kind else "",
        "error_detail": link.last_error,
        "next_attempt_at": _local(link.next_attempt_at),
        "last_synced_at": _local(link.last_synced_at),
    }


@router.post(
    "/action-items/{ref}/push",
    response={202: TrackerLinkOut, **ERRORS},
    summary="Push an action item to its team's tracker",
    operation_id="push_action_item",
)
def push(request: HttpRequest, ref: ItemRef) -> Status[dict[str, Any]]:
    """Create an issue for the item in its team's tracker (GitHub, GitLab or
    Jira), with a link back to Hotwash. The call is made by the worker, with
    retries; the answer (202) is the link as it stands, `pending` until the
    issue exists. Pushing again while pending changes nothing; pushing again
    after `failed` retries; an item already linked answers 409. Responders,
    admins and the item's owner."""
    user = caller(request)
    item = get_item(user, ref)
    link = services.request_push(item, actor=user)
    link = TrackerLink.objects.select_related("tracker", "item").get(pk=link.pk)
    return Status(202, present(link))


@router.post(
    "/trackers/{tracker_id}/webhook",
    response={200: WebhookOut, **ERRORS},
    summary="Receive a tracker's webhook",
    operation_id="tracker_webhook",
    auth=TrackerWebhookSignature(),
    tags=["Trackers", "Webhooks"],
)
def webhook(request: HttpRequest, tracker_id: TrackerId) -> dict[str, Any]:
    """Called by GitHub, GitLab or Jira when an issue changes; authenticated
    by the tracker's signature, not an API token. GitHub: `X-Hub-Signature-256`
    (HMAC-SHA256 of the body), events `issues` closed/reopened. GitLab:
    `X-Gitlab-Token`, Issue Hook close/reopen. Jira Cloud: `X-Hub-Signature`
    (HMAC-SHA256), `jira:issue_updated` with a status change. Closing the
    issue marks its action item done; reopening reopens it. A bad signature
    answers 401, a close or reopen of an issue no item is linked to 404, and
    neither changes anything. Other events answer 200 and are ignored."""
    tracker: TrackerConfig = request.auth  # type: ignore[attr-defined]
    event = webhooks.parse(tracker, request.headers, request.body)
    if event.ignored:
        return {
            "changed": False,
            "item": None,
            "status": None,
            "detail": _("Ignored: %(event)s is not an issue being closed or reopened.")
            % {"event": event.ignored},
        }
    if event.other_project:
        raise NotFound(
            _("This webhook is about another project than %(project)s.")
            % {"project": tracker.project}
        )
    link = services.find_link(tracker, event.key)
    change = services.apply_remote_state(
        link, closed=event.closed, updated_at=event.updated_at, source="webhook"
    )
    if change.changed:
        detail = (
            _("The issue was closed; %(ref)s is now %(status)s.")
            if event.closed
            else _("The issue was reopened; %(ref)s is now %(status)s.")
        )
    else:
        detail = _("The issue's state had not changed; %(ref)s is unchanged (%(status)s).")
    return {
        "changed": change.changed,
        "item": link.item.ref,
        "status": change.item_status,
        "detail": detail % {"ref": link.item.ref, "status": ItemStatus(change.item_status).label},
    }

"""API routes for trackers, mounted under /api/v1/: push an action item to
its team's tracker, and the webhook trackers call when an issue changes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.security import APIKeyHeader

from hotwash.accounts.api_auth import caller
from hotwash.actions.models import Status as ItemStatus
from hotwash.actions.queries import get_item
from hotwash.actions.schemas import ItemRef
from hotwash.core.api.errors import ERRORS
from hotwash.core.api.present import local
from hotwash.core.errors import NotFound
from hotwash.trackers import services, webhooks
from hotwash.trackers.display import describe_error, describe_state
from hotwash.trackers.models import TrackerConfig, TrackerLink
from hotwash.trackers.schemas import TrackerId, TrackerLinkOut, WebhookOut

router = Router(tags=["Trackers"])


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


def present_tracker_link(link: TrackerLink) -> dict[str, Any]:
    return {
        "item": link.item.ref,
        "tracker": link.tracker.kind,
        "project": link.tracker.project,
        "sync_state": link.sync_state,
        "update_state": link.update_state,
        "state": describe_state(link),
        "issue": link.display_key,
        "issue_state": link.issue_state,
        "url": link.url,
        "attempts": link.attempts,
        "error": describe_error(link) if link.error_kind else "",
        "error_detail": link.last_error,
        "next_attempt_at": local(link.next_attempt_at),
        "last_synced_at": local(link.last_synced_at),
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
    after `failed` retries; an item already linked answers 409, unless
    sending its later edits failed (`update_state` `failed`), which this
    retries. Responders, admins and the item's owner."""
    user = caller(request)
    item = get_item(user, ref)
    link = services.request_push(item, actor=user)
    link = TrackerLink.objects.select_related("tracker", "item").get(pk=link.pk)
    return Status(202, present_tracker_link(link))


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

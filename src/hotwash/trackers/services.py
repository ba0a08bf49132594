"""Write-side functions for tracker sync: push an action item, record how
each attempt went, apply a tracker's close or reopen, poll as a fallback.

How a push stays safe:
- `request_push` writes a pending TrackerLink (with its idempotency marker)
  and its audit record in one transaction and enqueues the worker's task
  when that commits. The row is the source of truth: if the task is lost,
  the periodic sweep finds the pending link and enqueues it again.
- `attempt_push` (in tasks.py, beside the task it enqueues again) claims the link with a conditional UPDATE (pending and
  due), so two workers never call the tracker for the same link at once. It
  calls the tracker outside any transaction, then records the outcome. A
  retryable failure sets `next_attempt_at` (the tracker's Retry-After or
  the backoff) and enqueues the next attempt with that `run_after`; the last
  allowed failure, or one that retrying cannot fix, marks the link failed.
- Before creating again after an earlier attempt, it searches the tracker
  for the marker, so a response lost on the way back never opens a second
  issue.

Two-way sync: `on_action_item_changed` (connected in hotwash.wiring) hears
every change of an item. A new item of a team that asked for it is pushed
at once; an edit of a linked item that its issue does not show yet (title,
due date, owner, open or closed) marks the link's changes pending, and
`attempt_update` (tasks.py) sends them with the same claims, retries and
visible failures as a push. A close or reopen that came from the tracker
is recorded on the link before the item changes, so it is not sent back.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.actions.models import CLOSED_STATUSES, OPEN_STATUSES, ActionItem, Status
from hotwash.actions.services import can_view_item, update_action_item
from hotwash.core.audit import record_audit
from hotwash.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hotwash.trackers.clients import TrackerError, client_for
from hotwash.trackers.content import marker_for
from hotwash.trackers.credentials import CredentialMissing
from hotwash.trackers.models import (
    ErrorKind,
    IssueState,
    SyncState,
    TrackerConfig,
    TrackerLink,
    UpdateState,
)
from hotwash.trackers.registry import trackers
from hotwash.trackers.tasks import (
    enqueue_push,
    enqueue_push_on_commit,
    enqueue_update,
    enqueue_update_on_commit,
    mark_out_of_step,
)

logger = logging.getLogger("hotwash.trackers")

Actor = User | AnonymousUser | None

# The sweep re-enqueues a pending link this long after it was due.
SWEEP_GRACE = timedelta(minutes=2)
# Polls look this far before the previous poll (clock skew, slow indexes).
POLL_OVERLAP = timedelta(minutes=5)


def tracker_of(item: ActionItem) -> TrackerConfig | None:
    team = item.team
    if team is None:
        return None
    return TrackerConfig.objects.filter(team=team).first()


def link_of(item: ActionItem) -> TrackerLink | None:
    return TrackerLink.objects.select_related("tracker").filter(item=item).first()


def can_push(user: User | AnonymousUser, item: ActionItem) -> bool:
    """Responders, admins and the item's owner, if they can see the item."""
    if not can_view_item(user, item):
        return False
    return can_respond(user) or (item.owner_id is not None and item.owner_id == user.pk)


# --- asking for a push --------------------------------------------------------


def request_push(item: ActionItem, *, actor: Actor) -> TrackerLink:
    """Send `item` to its team's tracker (in the worker). Pushing an item
    that is waiting to be sent changes nothing; pushing one whose sync
    failed tries again; pushing one already linked is a Conflict."""
    if actor is not None and not can_push(actor, item):
        if not can_view_item(actor, item):
            raise NotFound(_("No action item %(ref)s.") % {"ref": item.ref})
        raise PermissionDenied(
            _("Only responders, admins and the item's owner can push an action item.")
        )
    existing = link_of(item)
    if existing is not None:
        if existing.sync_state == SyncState.FAILED:
            return retry_push(existing, actor=actor)
        if existing.update_state == UpdateState.FAILED:
            return retry_update(existing, actor=actor)
        if existing.sync_state == SyncState.PENDING:
            return existing
        raise Conflict(
            _("%(ref)s is already linked to %(issue)s.")
            % {"ref": item.ref, "issue": existing.url or existing.display_key}
        )
    tracker = tracker_of(item)
    if tracker is None:
        raise InvalidInput(
            _(
                "%(ref)s has no team with a tracker. Give the item a team whose tracker "
                "an admin has set up."
            )
            % {"ref": item.ref},
            field="team",
        )
    if item.status in CLOSED_STATUSES:
        raise Conflict(
            _("%(ref)s is already closed; only open items go to the backlog.") % {"ref": item.ref}
        )
    now = timezone.now()
    token = secrets.token_hex(8)
    try:
        with transaction.atomic():
            link = TrackerLink.objects.create(
                item=item,
                tracker=tracker,
                marker=marker_for(item, token),
                next_attempt_at=now,
                created_at=now,
                created_by=actor if isinstance(actor, User) else None,
            )
            record_audit(
                actor=actor,
                action="tracker.push_requested",
                obj=link,
                changes={"item": item.ref, "tracker": tracker.kind, "project": tracker.project},
            )
            enqueue_push_on_commit(link.pk)
    except IntegrityError:
        # Someone pushed the same item a moment ago: that push stands.
        concurrent = link_of(item)
        if concurrent is None:
            raise
        return concurrent
    return link


def retry_push(link: TrackerLink, *, actor: Actor) -> TrackerLink:
    """Try a failed (or stuck) push again, with a fresh series of attempts.
    Its marker and first attempt time are kept, so an issue an earlier
    attempt did create is found, not duplicated."""
    now = timezone.now()
    with transaction.atomic():
        link = TrackerLink.objects.select_for_update().get(pk=link.pk)
        if link.sync_state == SyncState.SYNCED:
            return link
        link.sync_state = SyncState.PENDING
        link.attempts = 0
        link.next_attempt_at = now
        link.error_kind = ErrorKind.NONE
        link.last_error = ""
        link.save(
            update_fields=["sync_state", "attempts", "next_attempt_at", "error_kind", "last_error"]
        )
        record_audit(actor=actor, action="tracker.push_retried", obj=link)
        enqueue_push_on_commit(link.pk)
    return link


def retry_update(link: TrackerLink, *, actor: Actor) -> TrackerLink:
    """Try sending a linked item's changes again, after they failed (or got
    stuck), with a fresh series of attempts."""
    now = timezone.now()
    with transaction.atomic():
        link = TrackerLink.objects.select_for_update().get(pk=link.pk)
        if link.sync_state != SyncState.SYNCED or link.update_state == UpdateState.NONE:
            return link
        link.update_state = UpdateState.PENDING
        link.attempts = 0
        link.next_attempt_at = now
        link.error_kind = ErrorKind.NONE
        link.last_error = ""
        link.save(
            update_fields=[
                "update_state",
                "attempts",
                "next_attempt_at",
                "error_kind",
                "last_error",
            ]
        )
        record_audit(actor=actor, action="tracker.update_retried", obj=link)
        enqueue_update_on_commit(link.pk)
    return link


def retry(link: TrackerLink, *, actor: Actor) -> TrackerLink:
    """Try again whatever is stuck: the push that creates the issue, or the
    changes sent after it."""
    if link.sync_state == SyncState.SYNCED:
        return retry_update(link, actor=actor)
    return retry_push(link, actor=actor)


def sweep_stalled_pushes(now: datetime) -> int:
    """Enqueue again every pending push, and every link with pending
    changes, that should have run by now (its task was lost, or its worker
    died mid-attempt). Harmless when the task is merely late: an attempt
    runs only if it can claim the link."""
    overdue = TrackerLink.objects.filter(next_attempt_at__lte=now - SWEEP_GRACE)
    stalled = list(overdue.filter(sync_state=SyncState.PENDING).values_list("pk", flat=True)[:500])
    for link_id in stalled:
        enqueue_push(link_id)
    behind = list(
        overdue.filter(sync_state=SyncState.SYNCED, update_state=UpdateState.PENDING).values_list(
            "pk", flat=True
        )[:500]
    )
    for link_id in behind:
        enqueue_update(link_id)
    return len(stalled) + len(behind)


# --- two-way sync: what an item's change causes ----------------------------------


def on_action_item_changed(
    sender: object,
    *,
    item: ActionItem,
    actor: Actor,
    changes: dict[str, Any],
    **kwargs: Any,
) -> None:
    """actions.action_item_changed, in the change's transaction. A new item
    of a team that pushes new items goes to its tracker (by Hotwash); an
    edit its issue does not show yet is sent there. An edit that came from
    the tracker (apply_remote_state) already agrees with the link, so it
    sends nothing."""
    if changes.get("created"):
        _push_if_team_asks(item)
        return
    link = TrackerLink.objects.filter(item=item, sync_state=SyncState.SYNCED).first()
    # A push still pending reads the item when it runs, and a failed one
    # when it is retried; only a linked issue can fall behind.
    if link is not None and link.drift(item):
        mark_out_of_step(link)


def _push_if_team_asks(item: ActionItem) -> None:
    team = item.team
    if team is None or not team.push_new_action_items or item.status in CLOSED_STATUSES:
        return
    if tracker_of(item) is None:
        return
    request_push(item, actor=None)


# --- the tracker's side: webhooks and polls --------------------------------------


@dataclass
class StateChange:
    link: TrackerLink
    changed: bool  # the issue's state changed
    item_status: str  # the item's status afterwards


def apply_remote_state(
    link: TrackerLink,
    *,
    closed: bool,
    updated_at: datetime | None,
    source: str,
) -> StateChange:
    """The tracker says the issue is closed (or open). Only a change of the
    issue's state acts on the item: closed → done, reopened → open. So an
    item someone completed in Hotwash while its issue stays open is left
    alone, and a repeated or out-of-date event changes nothing."""
    now = timezone.now()
    with transaction.atomic():
        link = (
            TrackerLink.objects.select_for_update()
            .select_related("tracker", "item")
            .get(pk=link.pk)
        )
        item = link.item
        if (
            updated_at is not None
            and link.remote_updated_at is not None
            and updated_at < link.remote_updated_at
        ):
            return StateChange(link, False, item.status)
        new_state = IssueState.CLOSED if closed else IssueState.OPEN
        changed = link.issue_state != new_state
        link.issue_state = new_state
        if updated_at is not None:
            link.remote_updated_at = updated_at
        link.last_synced_at = now
        link.save(update_fields=["issue_state", "remote_updated_at", "last_synced_at"])
        if not changed:
            return StateChange(link, False, item.status)
        record_audit(
            actor=None,
            action="tracker.issue_closed" if closed else "tracker.issue_reopened",
            obj=link,
            changes={"item": item.ref, "issue": link.display_key, "source": source},
        )
        if closed and item.status in OPEN_STATUSES:
            item = update_action_item(item, actor=None, changes={"status": Status.DONE})
        elif not closed and item.status in CLOSED_STATUSES:
            item = update_action_item(item, actor=None, changes={"status": Status.OPEN})
    return StateChange(link, True, item.status)


def find_link(tracker: TrackerConfig, key: str) -> TrackerLink:
    link = (
        TrackerLink.objects.select_related("tracker", "item")
        .filter(tracker=tracker, external_key=key)
        .exclude(external_key="")
        .first()
    )
    if link is None:
        raise NotFound(
            _("No action item is linked to %(tracker)s issue %(issue)s.")
            % {"tracker": trackers.get(tracker.kind).label, "issue": tracker.issue_name(key)}
        )
    return link


@dataclass
class PollResult:
    checked: int = 0
    changed: int = 0
    error: str = ""


def poll_tracker(tracker: TrackerConfig, now: datetime) -> PollResult:
    """Read the state of this tracker's linked issues that changed since
    the last poll, and apply the changes. An error is recorded on the
    tracker (visible in the admin) and the next poll starts from the same
    point, so nothing is skipped."""
    links = {
        link.external_key: link
        for link in TrackerLink.objects.filter(tracker=tracker, sync_state=SyncState.SYNCED)
        .exclude(external_key="")
        .select_related("tracker")
    }
    if not links:
        TrackerConfig.objects.filter(pk=tracker.pk).update(polled_at=now, last_poll_error="")
        return PollResult()
    since = tracker.polled_at
    if since is None:
        earliest = TrackerLink.objects.filter(tracker=tracker).aggregate(first=Min("created_at"))
        since = earliest["first"] or now
    since -= POLL_OVERLAP
    try:
        with client_for(tracker) as client:
            remote = client.issue_states(links.keys(), since)
    except (TrackerError, CredentialMissing) as exc:
        detail = exc.detail if isinstance(exc, TrackerError) else str(exc)
        TrackerConfig.objects.filter(pk=tracker.pk).update(last_poll_error=detail[:2000])
        logger.warning("Polling %s failed: %s", tracker, detail)
        return PollResult(error=detail)
    result = PollResult(checked=len(remote))
    for key, issue in remote.items():
        link = links.get(key)
        if link is None:
            continue
        if apply_remote_state(
            link, closed=issue.closed, updated_at=issue.updated_at, source="poll"
        ).changed:
            result.changed += 1
    TrackerConfig.objects.filter(pk=tracker.pk).update(polled_at=now, last_poll_error="")
    return result


def refresh_link(link: TrackerLink) -> StateChange:
    """Read one linked issue's state now (the admin's "refresh" action)."""
    try:
        with client_for(link.tracker) as client:
            issue = client.get_issue(link.external_key)
    except CredentialMissing as exc:
        raise InvalidInput(str(exc)) from None
    except TrackerError as exc:
        raise InvalidInput(exc.detail) from None
    return apply_remote_state(
        link, closed=issue.closed, updated_at=issue.updated_at, source="refresh"
    )


def sync_all(now: datetime) -> dict[str, int]:
    """The periodic job: re-enqueue stalled pushes, then poll every tracker
    that has linked issues."""
    swept = sweep_stalled_pushes(now)
    changed = errors = 0
    trackers = TrackerConfig.objects.filter(links__sync_state=SyncState.SYNCED).distinct()
    for tracker in trackers:
        try:
            result = poll_tracker(tracker, now)
        except Exception as exc:  # one tracker's surprise must not stop the others
            logger.exception("Polling %s failed unexpectedly", tracker)
            detail = f"{type(exc).__name__}: {exc}"[:2000]
            TrackerConfig.objects.filter(pk=tracker.pk).update(last_poll_error=detail)
            result = PollResult(error=detail)
        changed += result.changed
        errors += bool(result.error)
    return {"swept": swept, "changed": changed, "errors": errors}

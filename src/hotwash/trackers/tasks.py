"""The worker's tasks that push one action item to its tracker (creating
its issue) and send its later edits there, and the attempts they run.

Retries are not the queue's business here: the TrackerLink row records each
attempt, and `attempt_push` enqueues the next one (with `run_after`) when
trying again can help. Tests call `push_action_item.call` (or
`attempt_push`) directly to run an attempt synchronously. The attempt lives
here, beside its task, because it enqueues that task again: services.py
imports this module to enqueue a first push, never the reverse.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task

from hotwash.actions.models import CLOSED_STATUSES, ActionItem, Status
from hotwash.actions.services import item_incident
from hotwash.core.audit import record_audit
from hotwash.incidents.models import TimelineKind
from hotwash.incidents.services import record_system_event
from hotwash.jobs.retry import retry_delay
from hotwash.trackers.clients import RemoteIssue, TrackerError, client_for
from hotwash.trackers.content import IssueChange, build_draft
from hotwash.trackers.credentials import CredentialMissing
from hotwash.trackers.models import (
    ErrorKind,
    IssueState,
    SyncState,
    TrackerAccount,
    TrackerConfig,
    TrackerLink,
    UpdateState,
)

logger = logging.getLogger("hotwash.trackers")

# A claimed attempt that has not finished after this long (its worker died)
# may be claimed again.
LEASE = timedelta(minutes=10)
# A marker search looks this far before the first attempt (clock skew).
SEARCH_MARGIN = timedelta(minutes=10)


@task()
def push_action_item(link_id: int) -> str:
    return attempt_push(link_id)


def enqueue_push(link_id: int, run_after: datetime | None = None) -> None:
    task = push_action_item if run_after is None else push_action_item.using(run_after=run_after)
    task.enqueue(link_id)


def enqueue_push_on_commit(link_id: int, run_after: datetime | None = None) -> None:
    transaction.on_commit(lambda: enqueue_push(link_id, run_after))


def _claim(link_id: int, now: datetime) -> TrackerLink | None:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = (
        TrackerLink.objects.filter(due, pk=link_id, sync_state=SyncState.PENDING).update(
            next_attempt_at=now + LEASE,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            first_attempt_at=Coalesce(F("first_attempt_at"), now),
        )
        == 1
    )
    if not claimed:
        return None
    return TrackerLink.objects.select_related(
        "tracker", "item__owner", "item__incident", "item__postmortem"
    ).get(pk=link_id)


def attempt_push(link_id: int) -> str:
    """One attempt to create the tracker issue of link `link_id`. Returns
    what happened: "skipped" (not due, or another worker has it),
    "created", "found" (an earlier attempt's issue), "retrying" or "failed"."""
    now = timezone.now()
    # Read before claiming: whether an earlier attempt may have reached the
    # tracker (its response lost), in which case we look before creating.
    tried_before = TrackerLink.objects.filter(pk=link_id, first_attempt_at__isnull=False).exists()
    link = _claim(link_id, now)
    if link is None:
        return "skipped"
    tracker = link.tracker
    try:
        draft = build_draft(
            link.item,
            marker=link.marker,
            language=tracker.language,
            extra_labels=tracker.extra_labels,
            assignee=account_of(tracker, link.item.owner_id),
        )
        with client_for(tracker) as client:
            remote = None
            if tried_before and link.first_attempt_at is not None:
                remote = client.find_by_marker(link.marker, link.first_attempt_at - SEARCH_MARGIN)
            outcome = "found" if remote is not None else "created"
            if remote is None:
                remote = client.create_issue(draft)
    except CredentialMissing as exc:
        return _record_failure(link, ErrorKind.CREDENTIALS, str(exc), now, retry_at=None)
    except TrackerError as exc:
        retry_at = exc.retry_at or (now + retry_delay(link.attempts) if exc.retryable else None)
        return _record_failure(link, exc.kind, exc.detail, now, retry_at=retry_at)
    except Exception as exc:  # an answer we could not read: still bounded, still visible
        logger.exception("Tracker push of %s failed unexpectedly", link.item.ref)
        detail = f"{type(exc).__name__}: {exc}"
        return _record_failure(
            link, ErrorKind.UNEXPECTED, detail, now, retry_at=now + retry_delay(link.attempts)
        )
    _record_success(link, remote, now, outcome)
    return outcome


def _record_success(link: TrackerLink, remote: RemoteIssue, now: datetime, outcome: str) -> None:
    with transaction.atomic():
        link.external_key = remote.key
        link.external_id = remote.id
        link.url = remote.url
        link.issue_state = IssueState.CLOSED if remote.closed else IssueState.OPEN
        link.remote_updated_at = remote.updated_at
        link.sync_state = SyncState.SYNCED
        link.error_kind = ErrorKind.NONE
        link.last_error = ""
        link.next_attempt_at = None
        link.last_synced_at = now
        # What the issue shows: the item as this attempt read it.
        link.synced_title = link.item.title
        link.synced_due_on = link.item.due_on
        link.synced_owner_id = link.item.owner_id
        link.save()
        # Edited (or closed) while the issue was being created: send that now.
        if link.drift(ActionItem.objects.get(pk=link.item_id)):
            mark_out_of_step(link)
        record_audit(
            actor=None,
            action="tracker.pushed",
            obj=link,
            changes={
                "item": link.item.ref,
                "issue": link.display_key,
                "url": link.url,
                "how": outcome,
            },
        )
        _timeline(link, {"event": "tracker_linked", "url": link.url, "tracker": link.tracker.kind})


def _record_failure(
    link: TrackerLink, kind: str, detail: str, now: datetime, *, retry_at: datetime | None
) -> str:
    give_up = retry_at is None or link.attempts >= settings.TASK_MAX_ATTEMPTS
    with transaction.atomic():
        link.error_kind = kind
        link.last_error = detail[:2000]
        if give_up:
            link.sync_state = SyncState.FAILED
            link.next_attempt_at = None
        else:
            link.next_attempt_at = retry_at
        link.save(update_fields=["error_kind", "last_error", "sync_state", "next_attempt_at"])
        if give_up:
            record_audit(
                actor=None,
                action="tracker.push_failed",
                obj=link,
                changes={"item": link.item.ref, "error": kind, "detail": link.last_error},
            )
            _timeline(
                link,
                {"event": "tracker_failed", "tracker": link.tracker.kind, "error": _short(detail)},
            )
        else:
            enqueue_push_on_commit(link.pk, retry_at)
    if give_up:
        logger.warning("Tracker push of %s failed for good: %s", link.item.ref, detail)
        return "failed"
    logger.info("Tracker push of %s will be retried at %s: %s", link.item.ref, retry_at, detail)
    return "retrying"


def _short(detail: str) -> str:
    return detail if len(detail) <= 160 else detail[:157] + "…"


def _timeline(link: TrackerLink, data: dict[str, Any]) -> None:
    item = link.item
    incident = item_incident(item)
    if incident is None:
        return
    record_system_event(
        incident,
        kind=TimelineKind.ACTION_ITEM,
        data={"item": item.pk, "ref": item.ref, "title": item.title, **data},
        body=f"{item.ref} {data.get('url') or data.get('error', '')}".strip(),
    )


def account_of(tracker: TrackerConfig, user_id: int | None) -> str | None:
    """The person's account in `tracker` (TrackerAccount), if an admin gave one."""
    if user_id is None:
        return None
    return (
        TrackerAccount.objects.filter(tracker=tracker, user_id=user_id)
        .values_list("account", flat=True)
        .first()
    )


# --- edits after the push: two-way sync ------------------------------------------
#
# The link remembers what the issue shows (synced_title, synced_due_on,
# synced_owner, issue_state). An edit that leaves the issue behind bumps
# `update_version` and marks the link's changes pending; an attempt sends
# the item *as it stands then* (so several quick edits go in one call),
# and finishes with a compare-and-set on the version: an edit made during
# the call leaves the changes pending, and another attempt follows.
# A close or reopen that came from the tracker is written to issue_state
# before the item changes, so the item and its issue agree and nothing
# is sent back: no echo, and no loop between two systems.


@task()
def update_tracker_issue(link_id: int) -> str:
    return attempt_update(link_id)


def enqueue_update(link_id: int, run_after: datetime | None = None) -> None:
    task = (
        update_tracker_issue
        if run_after is None
        else update_tracker_issue.using(run_after=run_after)
    )
    task.enqueue(link_id)


def enqueue_update_on_commit(link_id: int, run_after: datetime | None = None) -> None:
    transaction.on_commit(lambda: enqueue_update(link_id, run_after))


def mark_out_of_step(link: TrackerLink) -> None:
    """The item changed and its issue no longer shows it: have the worker
    send the change. Call inside the change's transaction. A series already
    pending keeps its schedule (its next attempt reads the item afresh);
    otherwise a new series starts now."""
    now = timezone.now()
    linked = TrackerLink.objects.filter(pk=link.pk, sync_state=SyncState.SYNCED)
    if linked.filter(update_state=UpdateState.PENDING).update(
        update_version=F("update_version") + 1
    ):
        return
    if linked.update(
        update_version=F("update_version") + 1,
        update_state=UpdateState.PENDING,
        attempts=0,
        next_attempt_at=now,
        error_kind=ErrorKind.NONE,
        last_error="",
    ):
        enqueue_update_on_commit(link.pk)


def _claim_update(link_id: int, now: datetime) -> TrackerLink | None:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = TrackerLink.objects.filter(
        due, pk=link_id, sync_state=SyncState.SYNCED, update_state=UpdateState.PENDING
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return None
    return TrackerLink.objects.select_related(
        "tracker", "item__owner", "item__incident", "item__postmortem"
    ).get(pk=link_id)


def build_change(link: TrackerLink, item: ActionItem) -> IssueChange:
    """What `item`'s issue needs to show it: only the fields that differ."""
    drift = link.drift(item)
    tracker = link.tracker
    change = IssueChange()
    if drift.title:
        change.title = f"{item.title} ({item.ref})"
    if drift.due:
        change.due_changed = True
        change.due_on = item.due_on
        change.old_due_on = link.synced_due_on
    if drift.owner:
        change.assignee_changed = True
        change.assignee = account_of(tracker, item.owner_id)
    if drift.due or drift.owner:
        # The description states the owner and the due date.
        change.draft = build_draft(
            item,
            marker=link.marker,
            language=tracker.language,
            extra_labels=tracker.extra_labels,
        )
    if drift.state:
        change.closed = item.status in CLOSED_STATUSES
        change.not_planned = item.status == Status.WONT_DO
    return change


def attempt_update(link_id: int) -> str:
    """One attempt to bring link `link_id`'s issue in step with its item.
    Returns "skipped" (not due, or another worker has it), "unchanged"
    (nothing to send), "updated", "retrying" or "failed"."""
    now = timezone.now()
    link = _claim_update(link_id, now)
    if link is None:
        return "skipped"
    version = link.update_version
    seen_remote = link.remote_updated_at
    item = link.item
    change = build_change(link, item)
    remote: RemoteIssue | None = None
    try:
        if change:
            with client_for(link.tracker) as client:
                remote = client.update_issue(link.external_key, change)
    except CredentialMissing as exc:
        return _record_update_failure(link, ErrorKind.CREDENTIALS, str(exc), now, retry_at=None)
    except TrackerError as exc:
        retry_at = exc.retry_at or (now + retry_delay(link.attempts) if exc.retryable else None)
        return _record_update_failure(link, exc.kind, exc.detail, now, retry_at=retry_at)
    except Exception as exc:  # an answer we could not read: still bounded, still visible
        logger.exception("Tracker update of %s failed unexpectedly", item.ref)
        detail = f"{type(exc).__name__}: {exc}"
        return _record_update_failure(
            link, ErrorKind.UNEXPECTED, detail, now, retry_at=now + retry_delay(link.attempts)
        )
    _record_update_success(link, item, change, remote, version, seen_remote, now)
    return "updated" if change else "unchanged"


def _record_update_success(
    link: TrackerLink,
    item: ActionItem,
    change: IssueChange,
    remote: RemoteIssue | None,
    version: int,
    seen_remote: datetime | None,
    now: datetime,
) -> None:
    with transaction.atomic():
        current = TrackerLink.objects.select_for_update().get(pk=link.pk)
        current.synced_title = item.title
        current.synced_due_on = item.due_on
        current.synced_owner_id = item.owner_id
        remote_time = remote.updated_at if remote is not None else None
        if change.closed is not None:
            # A webhook or poll may have told of a newer change while this
            # call was under way: then its state stands, not ours.
            heard_since = current.remote_updated_at != seen_remote
            ours_newer = (
                remote_time is not None
                and current.remote_updated_at is not None
                and remote_time >= current.remote_updated_at
            )
            if not heard_since or ours_newer:
                current.issue_state = IssueState.CLOSED if change.closed else IssueState.OPEN
        if remote_time is not None and (
            current.remote_updated_at is None or remote_time > current.remote_updated_at
        ):
            current.remote_updated_at = remote_time
        current.error_kind = ErrorKind.NONE
        current.last_error = ""
        if change:
            current.last_synced_at = now
        if current.update_version == version:
            current.update_state = UpdateState.NONE
            current.next_attempt_at = None
        else:  # edited during the call: send the newer edit too
            current.next_attempt_at = now
            enqueue_update_on_commit(current.pk)
        current.save()
        if change:
            record_audit(
                actor=None,
                action="tracker.updated",
                obj=current,
                changes={
                    "item": item.ref,
                    "issue": current.display_key,
                    "fields": change.fields,
                },
            )


def _record_update_failure(
    link: TrackerLink, kind: str, detail: str, now: datetime, *, retry_at: datetime | None
) -> str:
    give_up = retry_at is None or link.attempts >= settings.TASK_MAX_ATTEMPTS
    with transaction.atomic():
        link.error_kind = kind
        link.last_error = detail[:2000]
        if give_up:
            link.update_state = UpdateState.FAILED
            link.next_attempt_at = None
        else:
            link.next_attempt_at = retry_at
        link.save(update_fields=["error_kind", "last_error", "update_state", "next_attempt_at"])
        if give_up:
            record_audit(
                actor=None,
                action="tracker.update_failed",
                obj=link,
                changes={"item": link.item.ref, "error": kind, "detail": link.last_error},
            )
            _timeline(
                link,
                {"event": "tracker_failed", "tracker": link.tracker.kind, "error": _short(detail)},
            )
        else:
            enqueue_update_on_commit(link.pk, retry_at)
    if give_up:
        logger.warning("Tracker update of %s failed for good: %s", link.item.ref, detail)
        return "failed"
    logger.info("Tracker update of %s will be retried at %s: %s", link.item.ref, retry_at, detail)
    return "retrying"

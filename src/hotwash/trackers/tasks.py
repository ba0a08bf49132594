"""The worker's task that pushes one action item to its tracker, and the
attempt it runs.

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

from hotwash.actions.services import item_incident
from hotwash.core.audit import record_audit
from hotwash.incidents.models import TimelineKind
from hotwash.incidents.services import record_system_event
from hotwash.jobs.retry import retry_delay
from hotwash.trackers.clients import RemoteIssue, TrackerError, client_for
from hotwash.trackers.content import build_draft
from hotwash.trackers.credentials import CredentialMissing
from hotwash.trackers.models import (
    ErrorKind,
    IssueState,
    SyncState,
    TrackerLink,
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
        link.save()
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

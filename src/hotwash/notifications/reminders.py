"""The reminder and digest scans: what is due, decided once.

A scan is set-based, so its cost does not grow with the number of action
items: one query per kind of object selects the open items whose due date
falls in the reminder windows *and* that have no ledger row yet (NOT EXISTS
on the ledger's unique index), with their owner's time zone and muting
preference; Python then places each due date in its owner's own calendar.
The new ledger rows are bulk-inserted with ON CONFLICT DO NOTHING, the rows
this scan really inserted are read back by the scan's batch id, and their
email tasks and webhook deliveries are bulk-enqueued, all in one
transaction. A second worker scanning at the same moment inserts nothing
the first one inserted (the unique constraint), so it enqueues nothing
twice; a crash before the commit leaves nothing behind.

When each message goes out:
- an action item or postmortem due within HOTWASH_REMINDER_DAYS_BEFORE days
  (in its owner's zone): one reminder per due date (a new due date, a new
  reminder); people may mute these;
- an action item or postmortem past its due date: one overdue notice per due
  date, within HOTWASH_OVERDUE_NOTICE_DAYS days of it (older ones are in the
  digest); these cannot be muted;
- the weekly digest: once per ISO week, from HOTWASH_DIGEST_WEEKDAY at
  HOTWASH_DIGEST_HOUR in the recipient's zone, to people with open action
  items or postmortems they may see, postmortems published that week they
  may read, or near misses and concerns to review (the digest's own rule),
  who did not mute it.
"""

from __future__ import annotations

import functools
import uuid
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import translation

from hotwash.actions.models import OPEN_STATUSES, ActionItem
from hotwash.jobs.queue import enqueue_many
from hotwash.notifications.conf import Schedule, schedule
from hotwash.notifications.emails import has_digest_content
from hotwash.notifications.links import action_item_url, postmortem_url
from hotwash.notifications.models import (
    MUTABLE_REMINDERS,
    DeliveryStatus,
    Kind,
    SentNotification,
    WebhookEvent,
)
from hotwash.notifications.outbox import emit_many
from hotwash.notifications.tasks import deliver_notification
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.models import Status as PostmortemStatus
from hotwash.postmortems.queries import SHAREABLE
from hotwash.reports.queries import open_reports, reviewers_q

MUTED_NOTE = "Muted by the recipient."


@dataclass
class Candidate:
    kind: str
    object_id: int
    recipient_id: int
    slot: date
    muted: bool = False
    # What a webhook subscriber is told (None: no webhook event, as for digests).
    data: dict[str, Any] | None = None


@dataclass
class ScanResult:
    decided: int = 0
    emails: int = 0
    webhooks: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


@functools.lru_cache(maxsize=512)
def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_today(now: datetime, zone_name: str | None) -> date:
    return now.astimezone(_zone(zone_name)).date()


# --- reminders ----------------------------------------------------------------


def scan_reminders(now: datetime) -> ScanResult:
    """Decide, once, every reminder and overdue notice due at `now`."""
    conf = schedule()
    with transaction.atomic():
        candidates = [*_action_item_candidates(now, conf), *_postmortem_candidates(now, conf)]
        return record(candidates, now)


def _window(now: datetime, conf: Schedule) -> tuple[date, date]:
    # Wide enough for every time zone (UTC-12 to UTC+14); each owner's own
    # calendar then decides in Python.
    today = now.astimezone(UTC).date()
    return today - timedelta(days=conf.overdue_days + 1), today + timedelta(
        days=conf.days_before + 1
    )


def _sent(kind: str) -> Exists:
    """Whether the ledger has a row of `kind` for the outer row's object,
    owner and due date (one probe of the ledger's unique index)."""
    return Exists(
        SentNotification.objects.filter(
            kind=kind,
            object_id=OuterRef("pk"),
            recipient_id=OuterRef("owner_id"),
            slot=OuterRef("due_on"),
        )
    )


def _classify(
    row: dict[str, Any], now: datetime, conf: Schedule, soon: str, overdue: str
) -> str | None:
    """The kind of message `row` (an item or postmortem) is due for, if any."""
    days_left = (row["due_on"] - local_today(now, row["zone"])).days
    if 0 <= days_left <= conf.days_before and not row["soon_sent"]:
        return soon
    if -conf.overdue_days <= days_left < 0 and not row["overdue_sent"]:
        return overdue
    return None


def _action_item_candidates(now: datetime, conf: Schedule) -> list[Candidate]:
    return _due_candidates(
        ActionItem.objects.filter(status__in=OPEN_STATUSES),
        ("title", "status", "priority", "kind", "postmortem_id"),
        soon=Kind.ACTION_DUE_SOON,
        overdue=Kind.ACTION_OVERDUE,
        data=action_item_data,
        now=now,
        conf=conf,
    )


def _postmortem_candidates(now: datetime, conf: Schedule) -> list[Candidate]:
    return _due_candidates(
        Postmortem.objects.open(),
        ("title", "status", "required"),
        soon=Kind.POSTMORTEM_DUE_SOON,
        overdue=Kind.POSTMORTEM_OVERDUE,
        data=postmortem_data,
        now=now,
        conf=conf,
    )


def _due_candidates(
    objects: QuerySet[Any],
    fields: Sequence[str],
    *,
    soon: str,
    overdue: str,
    data: Callable[[dict[str, Any]], dict[str, Any]],
    now: datetime,
    conf: Schedule,
) -> list[Candidate]:
    """The reminders `objects` (action items or postmortems, each with an
    owner and a due date) are due for: one query, with each row's `fields`
    for its webhook payload (`data`) and its owner's zone and muting."""
    low, high = _window(now, conf)
    rows = (
        objects.filter(owner__is_active=True, due_on__range=(low, high))
        .annotate(soon_sent=_sent(soon), overdue_sent=_sent(overdue))
        .filter(Q(soon_sent=False) | Q(overdue_sent=False))
        .values(
            "pk",
            "due_on",
            "owner_id",
            "incident_id",
            "soon_sent",
            "overdue_sent",
            *fields,
            owner_username=F("owner__username"),
            zone=F("owner__profile__timezone"),
            muted=F("owner__notification_preference__reminders_muted"),
            private=F("incident__private"),
        )
    )
    candidates = []
    for row in rows:
        kind = _classify(row, now, conf, soon, overdue)
        if kind is None:
            continue
        candidates.append(
            Candidate(
                kind=kind,
                object_id=row["pk"],
                recipient_id=row["owner_id"],
                slot=row["due_on"],
                muted=bool(row["muted"]) and kind in MUTABLE_REMINDERS,
                data=data(row),
            )
        )
    return candidates


def action_item_data(row: dict[str, Any]) -> dict[str, Any]:
    """An action item as webhook payloads show it. Items of private
    incidents keep their title to themselves: chat channels are wider
    audiences than the incident."""
    private = bool(row.get("private"))
    return {
        "id": row["pk"],
        "ref": f"AI-{row['pk']}",
        "title": None if private else row["title"],
        "private": private,
        "status": row["status"],
        "priority": row["priority"],
        "kind": row["kind"],
        "due_on": row["due_on"].isoformat() if row["due_on"] else None,
        "owner": row["owner_username"],
        "incident": f"INC-{row['incident_id']}" if row["incident_id"] else None,
        "postmortem": f"PM-{row['postmortem_id']}" if row["postmortem_id"] else None,
        "url": _in_default_language(action_item_url, row["pk"]),
    }


def postmortem_data(row: dict[str, Any]) -> dict[str, Any]:
    private = bool(row.get("private"))
    return {
        "id": row["pk"],
        "ref": f"PM-{row['pk']}",
        "title": None if private else row["title"],
        "private": private,
        "status": row["status"],
        "required": row["required"],
        "due_on": row["due_on"].isoformat() if row["due_on"] else None,
        "owner": row["owner_username"],
        "incident": f"INC-{row['incident_id']}" if row["incident_id"] else None,
        "url": _in_default_language(postmortem_url, row["pk"]),
    }


def _in_default_language(function: Any, pk: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(function(pk))


# --- digests --------------------------------------------------------------------


def digest_recipients(now: datetime) -> QuerySet[User, Any]:
    """Active people with an email address and digests on who have open
    work, or reports to review; everyone, in a week when a postmortem that
    anyone may read was published (what the organisation learned)."""
    open_items = ActionItem.objects.filter(owner=OuterRef("pk"), status__in=OPEN_STATUSES)
    open_postmortems = Postmortem.objects.open().filter(owner=OuterRef("pk"))
    # Postmortems of private incidents reach the few who may read them only
    # through their other digest content: a week of those alone would
    # otherwise make the scan check every account, every time.
    published = Postmortem.objects.filter(
        SHAREABLE, status=PostmortemStatus.PUBLISHED, published_at__gt=now - timedelta(days=7)
    )
    return (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Exists(open_items)
            | Exists(open_postmortems)
            | Exists(published)
            | (reviewers_q() & Exists(open_reports()))
        )
        .exclude(notification_preference__digests_muted=True)
        .values("pk", zone=F("profile__timezone"))
    )


def digest_week(now: datetime, zone: str | None, conf: Schedule) -> date | None:
    """The Monday of the recipient's week if their digest is due at `now`
    (from the configured weekday and hour on, until the week ends), else None."""
    local = now.astimezone(_zone(zone))
    if (local.isoweekday(), local.hour) < (conf.digest_weekday, conf.digest_hour):
        return None
    return local.date() - timedelta(days=local.weekday())


def scan_digests(now: datetime) -> ScanResult:
    conf = schedule()
    with transaction.atomic():
        due = [
            (row["pk"], week)
            for row in digest_recipients(now)
            if (week := digest_week(now, row["zone"], conf)) is not None
        ]
        weeks = {week for _pk, week in due}
        sent = set(
            SentNotification.objects.filter(kind=Kind.DIGEST, slot__in=weeks).values_list(
                "recipient_id", "slot"
            )
            if weeks
            else []
        )
        unsent = [(pk, week) for pk, week in due if (pk, week) not in sent]
        readers = _with_visible_work([pk for pk, _week in unsent], now)
        candidates = [
            Candidate(kind=Kind.DIGEST, object_id=pk, recipient_id=pk, slot=week)
            for pk, week in unsent
            if pk in readers
        ]
        return record(candidates, now)


def _with_visible_work(pks: Sequence[int], now: datetime) -> set[int]:
    """Which of these people have something in their digest that they may
    see (open work, the week's postmortems, reports to review). Checked with the
    digest's own rule (emails.has_digest_content), so nobody is picked whose
    only open work is on incidents they can no longer see (their digest
    would be empty). Asked only of those whose digest is due and not yet
    recorded this week: once a week for most, at every scan only for the
    few left out this way."""
    if not pks:
        return set()
    people = User.objects.filter(pk__in=pks).select_related("profile")
    return {
        person.pk
        for person in people
        if has_digest_content(person, local_today(now, _zone_of(person)))
    }


def _zone_of(person: User) -> str | None:
    # A reverse one-to-one that is missing raises a subclass of AttributeError.
    return getattr(getattr(person, "profile", None), "timezone", None)


# --- recording what was decided ------------------------------------------------------


def record(candidates: Sequence[Candidate], now: datetime) -> ScanResult:
    """Insert the ledger rows for `candidates` (skipping any that exist),
    then enqueue an email task for each row this call inserted and a
    webhook delivery for each event. Call inside a transaction."""
    result = ScanResult()
    if not candidates:
        return result
    batch = uuid.uuid4()
    SentNotification.objects.bulk_create(
        [
            SentNotification(
                kind=c.kind,
                object_id=c.object_id,
                recipient_id=c.recipient_id,
                slot=c.slot,
                created_at=now,
                batch=batch,
                status=DeliveryStatus.SKIPPED if c.muted else DeliveryStatus.PENDING,
                last_error=MUTED_NOTE if c.muted else "",
            )
            for c in candidates
        ],
        ignore_conflicts=True,
    )
    mine = list(
        SentNotification.objects.filter(batch=batch).values_list(
            "pk", "kind", "object_id", "recipient_id", "slot", "status"
        )
    )
    by_key = {(c.kind, c.object_id, c.recipient_id, c.slot): c for c in candidates}
    pending = [pk for pk, *_key, status in mine if status == DeliveryStatus.PENDING]
    result.emails = enqueue_many(deliver_notification, [((pk,), {}) for pk in pending])
    events = _events(by_key[(kind, oid, rid, slot)] for _pk, kind, oid, rid, slot, _s in mine)
    result.webhooks = emit_many(events, now)
    result.decided = len(mine)
    for _pk, kind, *_rest in mine:
        result.kinds[kind] = result.kinds.get(kind, 0) + 1
    return result


def _events(decided: Iterable[Candidate]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (c.kind, c.data) for c in decided if c.data is not None and c.kind in WebhookEvent.values
    ]

"""Demo action items for the demo incidents: a dozen follow-ups across the
demo team, some done (on time or late), some overdue, one won't do.

`create_demo_action_items()` is called by `hotwash demo` after the incident
stories (and postmortems) have played. Items are made through the services,
like real use; then, as the incident demo does, the times they were stamped
with are moved back to the moments the story says (creation a day or two
after the incident, done some days later), so the dashboard has a history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hotwash.actions import services
from hotwash.actions.models import ActionItem, Status
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident, TimelineEvent, TimelineKind
from hotwash.postmortems.models import Postmortem
from hotwash.teams.models import Team


@dataclass(frozen=True)
class DemoItem:
    incident: str  # the demo incident's title
    title: str
    owner: str
    by: str
    kind: str
    priority: str
    created: int  # days after the incident was declared
    due: int  # days after creation (negative due dates come from `created`)
    status: str = Status.OPEN
    done: int | None = None  # days after creation
    reason: str = ""
    description: str = ""


TLS = "Shop front down after its TLS certificate expired"
FAILOVER = "Database failover during maintenance took checkout offline"

DEMO_ITEMS = (
    DemoItem(
        TLS,
        "Alert when a certificate expires within 21 days",
        "sam",
        "amira",
        "detect",
        "high",
        created=1,
        due=15,
        status=Status.DONE,
        done=9,
    ),
    DemoItem(
        TLS,
        "Send the renewal job's alerts to the on-call channel",
        "amira",
        "sam",
        "process",
        "medium",
        created=1,
        due=15,
        status=Status.DONE,
        done=21,
    ),
    DemoItem(
        TLS,
        "Renew every certificate automatically, with a dry run weekly",
        "jonas",
        "sam",
        "prevent",
        "urgent",
        created=2,
        due=30,
        status=Status.IN_PROGRESS,
        description="Cover the shop, the API and the admin console domains.",
    ),
    DemoItem(
        FAILOVER,
        "Make checkout follow the primary after a failover",
        "jonas",
        "amira",
        "prevent",
        "high",
        created=1,
        due=15,
        status=Status.DONE,
        done=19,
    ),
    DemoItem(
        FAILOVER,
        "Rehearse the failover on staging every month",
        "amira",
        "amira",
        "process",
        "medium",
        created=1,
        due=30,
    ),
    DemoItem(
        FAILOVER,
        "Add a failover check to the maintenance checklist",
        "lea",
        "amira",
        "process",
        "low",
        created=2,
        due=30,
        status=Status.WONT_DO,
        reason="The maintenance checklist is being replaced by the new runbook this quarter.",
    ),
    DemoItem(
        "Search index stale after a failed nightly rebuild",
        "Alert when the search index is more than a day old",
        "sam",
        "sam",
        "detect",
        "medium",
        created=1,
        due=60,
        status=Status.DONE,
        done=4,
    ),
    DemoItem(
        "Payments API timeouts during a card provider outage",
        "Add a circuit breaker around card provider calls",
        "jonas",
        "sam",
        "mitigate",
        "high",
        created=1,
        due=30,
        status=Status.IN_PROGRESS,
    ),
    DemoItem(
        "Exports job stuck for large accounts",
        "Split exports of large accounts into pages",
        "lea",
        "lea",
        "prevent",
        "medium",
        created=1,
        due=60,
        status=Status.DONE,
        done=12,
    ),
    DemoItem(
        "Password reset emails delayed by up to two hours",
        "Watch the email queue's delay, not only its length",
        "victor",
        "amira",
        "detect",
        "medium",
        created=1,
        due=60,
    ),
    DemoItem(
        "Login page slow in Europe",
        "Serve the login page's assets from the CDN",
        "sam",
        "amira",
        "mitigate",
        "medium",
        created=1,
        due=20,
    ),
    DemoItem(
        "Checkout fails for all users",
        "Canary releases for checkout",
        "amira",
        "sam",
        "prevent",
        "high",
        created=0,
        due=15,
    ),
)

DEMO_TEAMS = (
    ("Storefront", "storefront", ("amira", "lea", "victor")),
    ("Platform", "platform", ("sam", "jonas")),
)


def create_demo_action_items() -> list[ActionItem]:
    """Create the demo items whose incident and owner exist and which are
    not there yet; returns those created. Safe to call twice."""
    people = {user.username: user for user in User.objects.filter(is_active=True)}
    created: list[ActionItem] = []
    with transaction.atomic():
        _ensure_teams(people)
        for demo in DEMO_ITEMS:
            incident = Incident.objects.filter(title=demo.incident).order_by("-pk").first()
            if incident is None or demo.owner not in people or demo.by not in people:
                continue
            if ActionItem.objects.filter(incident=incident, title=demo.title).exists():
                continue
            created.append(_create(demo, incident, people))
    return created


def _ensure_teams(people: dict[str, User]) -> None:
    """Two demo teams, so the dashboard has rows per team (only when the
    instance has no teams of its own)."""
    if Team.objects.exists():
        return
    for name, slug, members in DEMO_TEAMS:
        team = Team.objects.create(name=name, slug=slug)
        team.members.set([people[m] for m in members if m in people])


def _create(demo: DemoItem, incident: Incident, people: dict[str, User]) -> ActionItem:
    postmortem = Postmortem.objects.filter(incident=incident).first()
    started = timezone.now()
    last_audit = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    actor = people[demo.by]
    item = services.create_action_item(
        actor=actor,
        title=demo.title,
        owner=people[demo.owner],
        incident=incident,
        postmortem=postmortem,
        priority=demo.priority,
        kind=demo.kind,
        description=demo.description,
    )
    owner = people[demo.owner]
    if demo.status != Status.OPEN:
        changes = {"status": demo.status}
        if demo.reason:
            changes["reason"] = demo.reason
        item = services.update_action_item(
            item, actor=owner if demo.status == Status.DONE else actor, changes=changes
        )
    _move_back(item, demo, incident, started, last_audit)
    item.refresh_from_db()
    return item


def _move_back(
    item: ActionItem, demo: DemoItem, incident: Incident, started: datetime, last_audit: int
) -> None:
    """Put the item's times where the story says, never after the story's
    last moment for its incident (an open incident's story ends minutes ago)."""
    story_end = TimelineEvent.objects.filter(incident=incident, recorded_at__lt=started).aggregate(
        at=Max("occurred_at")
    )["at"]
    now = min(timezone.now(), story_end) if story_end else timezone.now()
    created_at = min(incident.declared_at + timedelta(days=demo.created, hours=1), now)
    due_on: date = timezone.localdate(created_at) + timedelta(days=demo.due)
    done_at = None
    if demo.done is not None:
        done_at = min(created_at + timedelta(days=demo.done, hours=5), now)
    changed_at = done_at or min(created_at + timedelta(days=3), now)
    if demo.status == Status.OPEN:
        changed_at = created_at
    ActionItem.objects.filter(pk=item.pk).update(
        created_at=created_at, updated_at=changed_at, due_on=due_on, done_at=done_at
    )
    entries = TimelineEvent.objects.filter(
        incident=incident, kind=TimelineKind.ACTION_ITEM, recorded_at__gte=started
    )
    entries.filter(data__event="created").update(occurred_at=created_at, recorded_at=created_at)
    entries.exclude(data__event="created").update(occurred_at=changed_at, recorded_at=changed_at)
    audits = AuditRecord.objects.filter(
        id__gt=last_audit, object_type="actions.actionitem", object_id=str(item.pk)
    )
    for record in audits:
        record.at = created_at if record.action == "action_item.created" else changed_at
        if "due_on" in record.changes and isinstance(record.changes["due_on"], str):
            record.changes["due_on"] = due_on.isoformat()
        record.save(update_fields=["at", "changes"])
    for entry in entries.filter(data__event="created"):
        entry.data["due_on"] = due_on.isoformat()
        entry.save(update_fields=["data"])
    # Writing the timeline touched the incident; it was last updated by its
    # latest entry, not by loading the demo.
    latest = TimelineEvent.objects.filter(incident=incident).aggregate(at=Max("recorded_at"))["at"]
    if latest is not None:
        Incident.objects.filter(pk=incident.pk).update(updated_at=latest)

"""Demo action items for the demo incidents: a dozen follow-ups across the
demo team, some done (on time or late), some overdue, one won't do.

Each item is created a day or two after its incident was declared (never
after its story's last moment: an open incident's story ends minutes ago)
and, unless still open, changes status some days later; both through the
services, at those moments, so the dashboard has a history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from hotwash.actions import services
from hotwash.actions.models import ActionItem, Status
from hotwash.demo.incidents import story_named
from hotwash.demo.schedule import Scene, play
from hotwash.incidents.models import Incident
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


def action_item_scenes(present: datetime) -> list[Scene]:
    """The scenes that create the demo items and change their status, told
    from `present` (when the demo is loaded)."""
    return [scene for player in _players() for scene in player.scenes(present)]


def create_demo_action_items(present: datetime | None = None) -> list[ActionItem]:
    """Create the demo items whose incident and owner exist and which are
    not there yet, told from `present` (default: now, to the minute);
    returns those created. Safe to call twice."""
    if present is None:
        present = timezone.now().replace(second=0, microsecond=0)
    players = _players()
    with transaction.atomic():
        play(scene for player in players for scene in player.scenes(present))
    return [player.item for player in players if player.item is not None]


def _players() -> list[_ItemPlayer]:
    people = {user.username: user for user in User.objects.filter(is_active=True)}
    return [_ItemPlayer(demo, people) for demo in DEMO_ITEMS]


class _ItemPlayer:
    """Plays one demo item: its creation, then its change of status."""

    def __init__(self, demo: DemoItem, people: dict[str, User]) -> None:
        self.demo = demo
        self.people = people
        self.item: ActionItem | None = None

    def scenes(self, present: datetime) -> list[Scene]:
        demo = self.demo
        story = story_named(demo.incident)
        end = story.moment(story.last_minute, present)
        created = min(
            story.moment(story.declared, present) + timedelta(days=demo.created, hours=1), end
        )
        scenes = [Scene(created, self._create)]
        if demo.status != Status.OPEN:
            # Done on the day the item says, in the afternoon; any other
            # status is given three days after creation. Follow-through
            # goes on after the incident ends, so this is held to the
            # present, not to the story's end: held there, an item meant to
            # be done late was done the day its incident closed, long before
            # its due date, and the dashboard counted it on time.
            later = (
                timedelta(days=demo.done, hours=5) if demo.done is not None else timedelta(days=3)
            )
            last = max(created, present - timedelta(minutes=1))
            scenes.append(Scene(min(created + later, last), self._change_status))
        return scenes

    def _create(self, at: datetime) -> None:
        demo = self.demo
        incident = Incident.objects.filter(title=demo.incident).order_by("-pk").first()
        if incident is None or demo.owner not in self.people or demo.by not in self.people:
            return
        if ActionItem.objects.filter(incident=incident, title=demo.title).exists():
            return
        _ensure_teams(self.people)
        due_on: date = timezone.localdate(at) + timedelta(days=demo.due)
        self.item = services.create_action_item(
            actor=self.people[demo.by],
            title=demo.title,
            owner=self.people[demo.owner],
            incident=incident,
            postmortem=Postmortem.objects.filter(incident=incident).first(),
            due_on=due_on,
            priority=demo.priority,
            kind=demo.kind,
            description=demo.description,
            now=at,
        )

    def _change_status(self, at: datetime) -> None:
        demo = self.demo
        if self.item is None:
            return
        changes = {"status": demo.status}
        if demo.reason:
            changes["reason"] = demo.reason
        # Done is said by the owner; other changes by whoever created it.
        actor = self.people[demo.owner if demo.status == Status.DONE else demo.by]
        self.item = services.update_action_item(self.item, actor=actor, changes=changes, now=at)


def _ensure_teams(people: dict[str, User]) -> None:
    """Two demo teams, so the dashboard has rows per team (only when the
    instance has no teams of its own)."""
    if Team.objects.exists():
        return
    for name, slug, members in DEMO_TEAMS:
        team = Team.objects.create(name=name, slug=slug)
        team.members.set([people[m] for m in members if m in people])

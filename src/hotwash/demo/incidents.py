"""The demo's incident stories: two months of a team's incidents, step by
step, each step done by the person who would have done it.

Every step is a scene (see `schedule`): it calls the incidents' service
with the moment the story says, so timelines, roles, participants, the
postmortems that resolving drafts, the trigger proposals that declaring
makes and the audit records all carry the story's time, as real use at that
moment would have written them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth.models import User

from hotwash.demo.schedule import Scene
from hotwash.incidents import services
from hotwash.incidents.models import DetectionSource, Incident, Status

# --- the steps a story is made of (times: minutes after impact began) -------


@dataclass(frozen=True)
class Note:
    at: float
    by: str
    text: str
    key: bool = False
    decision: bool = False


@dataclass(frozen=True)
class Change:
    at: float
    by: str
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class Assign:
    at: float
    by: str
    role: str
    holder: str | None


@dataclass(frozen=True)
class AddTask:
    at: float
    by: str
    title: str
    assignee: str | None = None


@dataclass(frozen=True)
class FinishTask:
    at: float
    by: str
    title: str


@dataclass(frozen=True)
class Join:
    at: float
    by: str
    who: str


Step = Note | Change | Assign | AddTask | FinishTask | Join


@dataclass(frozen=True)
class Story:
    title: str
    severity: int
    services: tuple[str, ...]
    by: str
    began: timedelta  # how long ago the impact began
    detected: float  # minutes after impact began
    declared: float
    detection: str = DetectionSource.ALERT
    status: str = Status.INVESTIGATING
    private: bool = False
    impact: str = ""
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def moment(self, minutes: float, present: datetime) -> datetime:
        """The time `minutes` after the impact began, told from `present`
        (when the demo is loaded): always in the past."""
        when = present - self.began + timedelta(minutes=minutes)
        if when >= present:
            raise ValueError(f"{self.title!r}: a step is in the future; shorten the story.")
        return when

    @property
    def last_minute(self) -> float:
        """When the story's last step happens (minutes after impact began)."""
        return max((self.declared, *(step.at for step in self.steps)))


def status(at: float, by: str, value: str) -> Change:
    return Change(at, by, {"status": value})


DAY = 24 * 60

STORIES = (
    Story(
        "Shop front down after its TLS certificate expired",
        1,
        ("shop", "checkout"),
        by="amira",
        began=timedelta(days=52, hours=5),
        detected=0.2,
        declared=1,
        impact="Every browser shows a certificate error on the shop; nobody can browse or buy.",
        steps=(
            Assign(2, "amira", "commander", "amira"),
            Note(4, "amira", "Browsers report an expired certificate for shop.example.com."),
            Assign(8, "amira", "communications", "lea"),
            Note(9, "lea", "Status page updated: the shop is unreachable, we are on it."),
            Note(
                14,
                "amira",
                "Renew the certificate by hand instead of waiting for the automation to retry.",
                key=True,
                decision=True,
            ),
            Note(21, "amira", "New certificate installed, load balancers reloaded.", key=True),
            status(22, "amira", Status.MONITORING),
            Note(59, "amira", "My shift is over; handing command to Sam."),
            Assign(60, "amira", "commander", "sam"),
            Note(
                80,
                "sam",
                "The renewal job had failed for 30 days; its alert went to a deleted channel.",
            ),
            status(95, "sam", Status.RESOLVED),
            status(3 * DAY, "sam", Status.CLOSED),
        ),
    ),
    Story(
        "Database failover during maintenance took checkout offline",
        1,
        ("checkout", "orders-db"),
        by="jonas",
        began=timedelta(days=45, hours=2),
        detected=0.5,
        declared=1,
        impact="Checkout refused every order for six minutes.",
        steps=(
            Assign(1.5, "jonas", "commander", "amira"),
            Assign(2, "amira", "operations", "jonas"),
            Note(
                3,
                "jonas",
                "The planned failover promoted the replica, but checkout kept the old primary.",
            ),
            Note(6, "jonas", "Restarted checkout against the new primary.", key=True),
            status(7, "amira", Status.MONITORING),
            status(30, "amira", Status.RESOLVED),
            status(2 * DAY, "amira", Status.CLOSED),
        ),
    ),
    Story(
        "Search index stale after a failed nightly rebuild",
        4,
        ("search",),
        by="sam",
        began=timedelta(days=41, hours=7),
        detected=10,
        declared=25,
        steps=(
            Assign(26, "sam", "commander", "sam"),
            Note(30, "sam", "Products added since yesterday do not appear in search."),
            Note(45, "sam", "Rebuild failed on a full disk on search-1; freed space.", key=True),
            status(46, "sam", Status.IDENTIFIED),
            Note(110, "sam", "Rebuild finished; new products are searchable."),
            status(111, "sam", Status.RESOLVED),
            status(DAY, "sam", Status.CLOSED),
        ),
    ),
    Story(
        "Product images missing in the mobile app",
        4,
        ("shop", "CDN"),
        by="lea",
        began=timedelta(days=30, hours=3),
        detected=120,
        declared=130,
        detection=DetectionSource.STAFF,
        steps=(
            Assign(131, "lea", "commander", "lea"),
            Note(
                140, "lea", "Images load on the web shop but not in app 5.3: wrong CDN host name."
            ),
            status(141, "lea", Status.IDENTIFIED),
            Note(
                150,
                "lea",
                "Redirect the old CDN host instead of waiting for an app release.",
                key=True,
                decision=True,
            ),
            status(175, "lea", Status.RESOLVED),
            status(2 * DAY, "lea", Status.CLOSED),
        ),
    ),
    Story(
        "Order confirmation shows prices in euros for Swiss customers",
        3,
        ("checkout",),
        by="amira",
        began=timedelta(days=24, hours=9),
        detected=300,
        declared=310,
        detection=DetectionSource.STAFF,
        impact="Swiss customers see euro amounts on the confirmation page; charges are right.",
        steps=(
            Assign(311, "amira", "commander", "amira"),
            Note(320, "amira", "Only the confirmation page is wrong; invoices use francs."),
            Note(360, "sam", "Release 7.12 reads the currency from the shop locale.", key=True),
            status(361, "amira", Status.IDENTIFIED),
            Note(420, "sam", "Fix deployed: currency comes from the billing address again."),
            status(425, "amira", Status.RESOLVED),
            status(3 * DAY, "amira", Status.CLOSED),
        ),
    ),
    Story(
        "Suspicious admin logins from an unknown IP range",
        2,
        ("admin console",),
        by="amira",
        began=timedelta(days=18, hours=4),
        detected=20,
        declared=22,
        private=True,
        steps=(
            Assign(23, "amira", "commander", "amira"),
            Assign(24, "amira", "operations", "admin"),
            Note(
                26,
                "amira",
                "Six successful admin logins from 203.0.113.0/24 in 20 minutes, one account.",
            ),
            Note(
                32,
                "admin",
                "Revoke every session of the account and force a password reset.",
                key=True,
                decision=True,
            ),
            Note(35, "admin", "Sessions revoked and account locked.", key=True),
            status(36, "amira", Status.IDENTIFIED),
            Note(
                140,
                "amira",
                "The logins came from a contractor's new VPN exit; confirmed with them. "
                "No data was accessed.",
            ),
            Change(142, "amira", {"severity": 3}),
            status(150, "amira", Status.RESOLVED),
            status(2 * DAY, "amira", Status.CLOSED),
        ),
    ),
    Story(
        "Exports job stuck for large accounts",
        4,
        ("exports",),
        by="sam",
        began=timedelta(days=14, hours=6),
        detected=30,
        declared=40,
        steps=(
            Assign(41, "sam", "commander", "sam"),
            Note(50, "sam", "The job runs out of memory on accounts with over a million rows."),
            status(51, "sam", Status.IDENTIFIED),
            Note(
                70,
                "sam",
                "Stream rows instead of building the file in memory.",
                key=True,
                decision=True,
            ),
            status(300, "sam", Status.RESOLVED),
        ),
    ),
    Story(
        "Payments API timeouts during a card provider outage",
        3,
        ("payments API", "checkout"),
        by="sam",
        began=timedelta(days=9, hours=6),
        detected=1,
        declared=2,
        impact="About 40 % of card payments time out; customers can retry.",
        steps=(
            Assign(3, "sam", "commander", "sam"),
            Note(6, "sam", "Card authorisations time out after 30 s for about 40 % of attempts."),
            Note(14, "sam", "The provider's status page confirms a partial outage."),
            Change(15, "sam", {"severity": 2}),
            Assign(16, "sam", "communications", "lea"),
            Note(
                20,
                "sam",
                "Fail over card payments to the backup provider.",
                key=True,
                decision=True,
            ),
            Note(32, "jonas", "Failover done; payments succeed on the backup provider.", key=True),
            status(33, "sam", Status.MONITORING),
            Note(140, "sam", "Primary provider healthy again; switched back."),
            status(150, "sam", Status.RESOLVED),
        ),
    ),
    Story(
        "Password reset emails delayed by up to two hours",
        3,
        ("accounts", "email"),
        by="lea",
        began=timedelta(days=5, hours=3),
        detected=20,
        declared=25,
        detection=DetectionSource.STAFF,
        steps=(
            Assign(26, "lea", "commander", "lea"),
            Note(30, "lea", "The email provider shows 18,000 messages in our sending queue."),
            Note(40, "jonas", "A marketing campaign is using the transactional sending pool."),
            Note(
                45,
                "lea",
                "Pause the marketing campaign until the queue drains.",
                key=True,
                decision=True,
            ),
            status(46, "lea", Status.IDENTIFIED),
            AddTask(47, "lea", "Split transactional and marketing email pools", "jonas"),
            Note(90, "lea", "Queue drained; reset emails arrive within a minute."),
            status(91, "lea", Status.MONITORING),
            FinishTask(170, "jonas", "Split transactional and marketing email pools"),
            status(180, "lea", Status.RESOLVED),
        ),
    ),
    Story(
        "Exports are empty",
        3,
        ("exports",),
        by="lea",
        began=timedelta(days=3, hours=2),
        detected=1800,
        declared=1810,
        detection=DetectionSource.CUSTOMER,
        steps=(
            Note(1812, "lea", "Acme Corp writes that yesterday's CSV export has only a header."),
            Assign(1815, "lea", "commander", "lea"),
            Note(
                1830,
                "lea",
                "Confirmed: every export since the night before last is empty. No alert fired.",
                key=True,
            ),
            Change(1831, "lea", {"impact": "Scheduled exports of all accounts are empty."}),
            Note(1900, "sam", "The job reads the retired reporting schema the migration moved."),
            status(1901, "lea", Status.IDENTIFIED),
            Note(1960, "sam", "Deployed exports 2.8.1 reading the new schema.", key=True),
            status(1962, "lea", Status.MONITORING),
            AddTask(1970, "lea", "Re-run exports for the 212 affected accounts", "sam"),
            AddTask(1975, "lea", "Add detection for empty exports", "lea"),
            FinishTask(2100, "sam", "Re-run exports for the 212 affected accounts"),
            Note(
                2500,
                "lea",
                "L'export de cette nuit contient des données pour tous les comptes ; "
                "on surveille encore une nuit.",
            ),
        ),
    ),
    Story(
        "Login page slow in Europe",
        3,
        ("accounts", "CDN"),
        by="lea",
        began=timedelta(days=2, hours=4),
        detected=5,
        declared=8,
        steps=(
            Assign(9, "lea", "commander", "lea"),
            Note(12, "lea", "The login page takes 6 s to load from Paris and Frankfurt."),
            Note(
                25,
                "lea",
                "Le cache CDN de Paris renvoie des pages expirées ; purge lancée.",
                key=True,
            ),
            status(26, "lea", Status.MONITORING),
            status(70, "lea", Status.RESOLVED),
        ),
    ),
    Story(
        "Search results slow for queries with filters",
        3,
        ("search",),
        by="sam",
        began=timedelta(hours=3, minutes=10),
        detected=4,
        declared=6,
        steps=(
            Assign(8, "sam", "commander", "sam"),
            Change(
                10,
                "sam",
                {"impact": "Searches with filters take 8 to 12 s; plain searches are fine."},
            ),
            Note(25, "sam", "Facet counts account for most of the time of filtered queries."),
            Note(
                48,
                "sam",
                "Last night's index rebuild dropped the facet cache on search-2.",
                key=True,
            ),
            status(49, "sam", Status.IDENTIFIED),
            Note(
                55,
                "sam",
                "Disable facet counts until the index is rebuilt; filters stay usable.",
                decision=True,
            ),
            AddTask(57, "sam", "Rebuild the products index on search-2", "sam"),
            Note(90, "sam", "Facet counts disabled; filtered searches are back under 2 s."),
            Note(150, "sam", "Index rebuild 60 % done."),
        ),
    ),
    Story(
        "Checkout fails for all users",
        2,
        ("checkout", "payments API"),
        by="amira",
        began=timedelta(minutes=41),
        detected=0.2,
        declared=2,
        steps=(
            Assign(3, "amira", "commander", "amira"),
            Change(
                4,
                "amira",
                {"impact": "Checkout fails for all users: every order ends on an error page."},
            ),
            Note(5, "amira", "Restarting the checkout pods."),
            Note(9, "amira", "No better: pods crash on start with 'connection pool exhausted'."),
            Assign(11, "amira", "communications", "lea"),
            Note(12, "lea", "Status page updated: checkout is failing, we are investigating."),
            Note(15, "amira", "Roll back checkout 4.2 to 4.1.", decision=True),
            Note(19, "amira", "Rolled back 4.2; error rate unchanged.", key=True),
            Assign(22, "amira", "operations", "jonas"),
            AddTask(22.5, "amira", "Check replica lag on orders-db", "jonas"),
            Note(26, "jonas", "orders-db replica lag is 40 s and rising; checkout reads from it."),
            AddTask(30, "amira", "Prepare a customer email if this lasts an hour", "lea"),
            Note(
                34, "jonas", "An analytics query holds locks on orders; asking before killing it."
            ),
        ),
    ),
    Story(
        "Elevated 502 errors from the payments API in eu-west",
        4,
        ("payments API",),
        by="sam",
        began=timedelta(minutes=12),
        detected=1,
        declared=2,
        status=Status.TRIAGE,
        steps=(Note(3, "sam", "Alertmanager: 502 rate at 2.1 % on payments-api eu-west."),),
    ),
)


def story_named(title: str) -> Story:
    """The story of the demo incident with this title (the other parts of
    the demo date their work from it)."""
    return next(story for story in STORIES if story.title == title)


# --- playing ----------------------------------------------------------------


class StoryPlayer:
    """Plays one story: declares its incident, then performs its steps, each
    at its moment."""

    def __init__(self, story: Story, users: Mapping[str, User]) -> None:
        self.story = story
        self.users = users
        self._incident: Incident | None = None

    def scenes(self, present: datetime) -> list[Scene]:
        story = self.story
        return [
            Scene(story.moment(story.declared, present), partial(self._declare, present=present)),
            *(
                Scene(story.moment(step.at, present), partial(self._perform, step))
                for step in story.steps
            ),
        ]

    @property
    def incident(self) -> Incident:
        """The incident as its story left it (after the scenes are played)."""
        if self._incident is None:
            raise RuntimeError(f"{self.story.title!r} has not been played yet.")
        self._incident.refresh_from_db()
        return self._incident

    def _declare(self, at: datetime, *, present: datetime) -> None:
        story = self.story
        self._incident = services.declare_incident(
            actor=self.users[story.by],
            title=story.title,
            severity=story.severity,
            status=story.status,
            services=story.services,
            private=story.private,
            impact=story.impact,
            detection_source=story.detection,
            impact_started_at=story.moment(0, present),
            detected_at=story.moment(story.detected, present),
            now=at,
        )

    def _perform(self, step: Step, at: datetime) -> None:
        actor = self.users[step.by]
        incident = self.incident
        match step:
            case Note():
                services.add_timeline_event(
                    incident,
                    actor=actor,
                    body=step.text,
                    kind="decision" if step.decision else "note",
                    key_moment=step.key,
                    occurred_at=at,
                    now=at,
                )
            case Change():
                services.update_incident(incident, actor=actor, changes=step.changes, now=at)
            case Assign():
                holder = self.users[step.holder] if step.holder else None
                services.assign_role(incident, actor=actor, role=step.role, user=holder, now=at)
            case AddTask():
                assignee = self.users[step.assignee] if step.assignee else None
                services.add_task(
                    incident, actor=actor, title=step.title, assignee=assignee, now=at
                )
            case FinishTask():
                task = incident.tasks.get(title=step.title)
                services.complete_task(task, actor=actor, now=at)
            case Join():
                services.add_participant(incident, actor=actor, user=self.users[step.who], now=at)

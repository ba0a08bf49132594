"""Realistic demo data: a team, and two months of their incidents.

Every incident is played through the service functions, step by step, by
the person who would have done it, so the timelines, roles, participants
and audit records are exactly what real use produces. Services stamp what
they write with the current time; because this is seed data, each step's
rows are then moved back to the moment the story says it happened (the one
thing real use never does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Case, F, Max, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hotwash.accounts.models import Role
from hotwash.accounts.permissions import can_respond
from hotwash.accounts.services import create_user
from hotwash.core.models import AuditRecord
from hotwash.incidents import services
from hotwash.incidents.models import (
    IMPACT_TIME_FIELDS,
    DetectionSource,
    Incident,
    Participant,
    RoleAssignment,
    Status,
    Task,
    TimelineEvent,
)

# Documented in `hotwash demo --help` and the README: demo accounts are for
# trying Hotwash out, never for a real instance.
DEMO_PASSWORD = "hotwash-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    timezone: str
    language: str
    description: str | Promise


DEMO_USERS = (
    DemoUser("admin", Role.ADMIN, "Ada", "Lindqvist", "UTC", "en", _("admin, sees everything")),
    DemoUser(
        "amira", Role.RESPONDER, "Amira", "Haddad", "Europe/London", "en", _("incident commander")
    ),
    DemoUser("sam", Role.RESPONDER, "Sam", "Okafor", "America/New_York", "en", _("responder")),
    DemoUser(
        "lea", Role.RESPONDER, "Léa", "Martin", "Europe/Paris", "fr", _("responder, in French")
    ),
    DemoUser(
        "jonas", Role.RESPONDER, "Jonas", "Berg", "Europe/Berlin", "en", _("database specialist")
    ),
    DemoUser("victor", Role.VIEWER, "Victor", "Nguyen", "UTC", "en", _("viewer, read-only")),
)


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
        detection=DetectionSource.PERSON,
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
        detection=DetectionSource.PERSON,
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
        detection=DetectionSource.PERSON,
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


# --- loading ----------------------------------------------------------------


class DemoConflict(Exception):
    """The database holds something the demo cannot work with."""


@dataclass
class DemoData:
    users: list[tuple[DemoUser, bool]]  # (user, newly created)
    incidents: list[Incident]


def load_demo() -> DemoData:
    """Create the demo team (reusing accounts that already exist, without
    touching their passwords) and play every story, in one transaction."""
    # Whole minutes read better on a timeline than microseconds.
    now = timezone.now().replace(second=0, microsecond=0)
    with transaction.atomic():
        users, created = _ensure_users()
        stories = sorted(STORIES, key=lambda story: story.began, reverse=True)
        incidents = [_play(story, users, now) for story in stories]
        _load_other_apps(users)
    return DemoData([(demo, demo.username in created) for demo in DEMO_USERS], incidents)


def _load_other_apps(users: Mapping[str, User]) -> None:
    """Postmortems and action items for the stories just played."""
    from hotwash.demo.postmortems import load_demo_postmortems, settle_postmortem_times

    mark = _Mark.now()
    load_demo_postmortems(users)
    # Postmortems were drafted and reviewed just now; put each incident's
    # share of that work back at the moment its incident closed.
    for incident in Incident.objects.filter(postmortem__isnull=False):
        when = incident.closed_at or incident.resolved_at
        if when is not None:
            mark.move_to(when, incident)
    settle_postmortem_times()
    from hotwash.demo.actions import create_demo_action_items

    create_demo_action_items()


def _ensure_users() -> tuple[dict[str, User], set[str]]:
    users: dict[str, User] = {}
    created: set[str] = set()
    for demo in DEMO_USERS:
        existing = User.objects.filter(username=demo.username).first()
        if existing is None:
            existing = create_user(
                demo.username,
                role=demo.role,
                first_name=demo.first_name,
                last_name=demo.last_name,
                timezone_name=demo.timezone,
                language=demo.language,
            )
            created.add(demo.username)
        elif demo.role != Role.VIEWER and not can_respond(existing):
            raise DemoConflict(
                gettext(
                    "The account %(username)s already exists but cannot change incidents, "
                    "and the demo stories need it to. Load the demo into a fresh database."
                )
                % {"username": demo.username}
            )
        users[demo.username] = existing
    # One hash for the one public password: hashing is deliberately slow,
    # and a salt protects nothing here.
    User.objects.filter(username__in=created).update(
        password=make_password(DEMO_PASSWORD),
        # The team was there before its incidents.
        date_joined=timezone.now() - timedelta(days=90),
    )
    return users, created


def _play(story: Story, users: Mapping[str, User], now: datetime) -> Incident:
    began = now - story.began

    def moment(minutes: float) -> datetime:
        when = began + timedelta(minutes=minutes)
        if when >= now:
            raise ValueError(f"{story.title!r}: a step is in the future; shorten the story.")
        return when

    mark = _Mark.now()
    incident = services.declare_incident(
        actor=users[story.by],
        title=story.title,
        severity=story.severity,
        status=story.status,
        services=story.services,
        private=story.private,
        impact=story.impact,
        detection_source=story.detection,
        impact_started_at=began,
        detected_at=moment(story.detected),
    )
    mark.move_to(moment(story.declared), incident)
    for step in story.steps:
        mark = _Mark.now()
        _perform(step, incident, users, moment(step.at))
        mark.move_to(moment(step.at), incident)
    incident.refresh_from_db()
    return incident


def _perform(step: Step, incident: Incident, users: Mapping[str, User], when: datetime) -> None:
    actor = users[step.by]
    incident.refresh_from_db()
    match step:
        case Note():
            services.add_timeline_event(
                incident,
                actor=actor,
                body=step.text,
                kind="decision" if step.decision else "note",
                key_moment=step.key,
                occurred_at=when,
            )
        case Change():
            services.update_incident(incident, actor=actor, changes=step.changes)
        case Assign():
            holder = users[step.holder] if step.holder else None
            services.assign_role(incident, actor=actor, role=step.role, user=holder)
        case AddTask():
            assignee = users[step.assignee] if step.assignee else None
            services.add_task(incident, actor=actor, title=step.title, assignee=assignee)
        case FinishTask():
            services.complete_task(incident.tasks.get(title=step.title), actor=actor)
        case Join():
            services.add_participant(incident, actor=actor, user=users[step.who])


# The rows services stamp with the current time, per model, by incident.
def _stamped() -> tuple[tuple[type[models.Model], str, tuple[str, ...]], ...]:
    """Each model a step may stamp: its link to the incident, its time fields."""
    return (
        (Incident, "pk", (*IMPACT_TIME_FIELDS, "updated_at")),
        (TimelineEvent, "incident", ("occurred_at", "recorded_at")),
        (RoleAssignment, "incident", ("started_at", "ended_at")),
        (Participant, "incident", ("joined_at",)),
        (Task, "incident", ("created_at", "done_at")),
        # Other apps' rows about an incident, named so incidents need not import them.
        (apps.get_model("triggers", "PolicyFiring"), "incident", ("fired_at",)),
        (apps.get_model("triggers", "Proposal"), "incident", ("created_at", "decided_at")),
    )


@dataclass(frozen=True)
class _Mark:
    """The moment a step began, to find the rows it stamped afterwards."""

    started: datetime
    last_audit: int

    @classmethod
    def now(cls) -> _Mark:
        last = AuditRecord.objects.aggregate(last=Max("id"))["last"] or 0
        return cls(timezone.now(), last)

    def move_to(self, when: datetime, incident: Incident) -> None:
        """Move every time the step stamped back to `when`. All that the
        story played before lies in the past, so "stamped at or after the
        step began" picks out exactly this step's rows."""
        # Generated entries and audit records quote the times they set
        # (e.g. "mitigated: none -> <now>"); those quotes move too.
        events = TimelineEvent.objects.filter(incident=incident, recorded_at__gte=self.started)
        for event in events:
            event.data = self._moved(event.data, when)
            event.save(update_fields=["data"])
        audits = AuditRecord.objects.filter(id__gt=self.last_audit, at__gte=self.started)
        for audit in audits:
            audit.changes = self._moved(audit.changes, when)
            audit.save(update_fields=["changes"])
        audits.update(at=when)
        for model, link, fields in _stamped():
            # One UPDATE per model: each field moves only if this step stamped it.
            model._default_manager.filter(**{link: incident.pk}).update(
                **{
                    name: Case(
                        When(**{f"{name}__gte": self.started}, then=Value(when)), default=F(name)
                    )
                    for name in fields
                }
            )

    def _moved(self, value: Any, when: datetime) -> Any:
        if isinstance(value, dict):
            return {key: self._moved(item, when) for key, item in value.items()}
        if isinstance(value, list):
            return [self._moved(item, when) for item in value]
        if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-":
            try:
                stamped = datetime.fromisoformat(value)
            except ValueError:
                return value
            if stamped.tzinfo is not None and stamped >= self.started:
                return when.isoformat()
        return value

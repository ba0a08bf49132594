"""Fill a Hotwash database with realistic incident data at a given scale.

    python bench/generate.py --incidents 100000 --events 20 [--clear]

Writes into the database DATABASE_URL names (default: the SQLite file in
./data), appending to whatever is there unless --clear is given: services,
responders (with profiles), incidents declared over the last ~3 years with a
realistic mix of severities, statuses and detection sources, ~3 % private,
their services, participants, role assignments (with hand-overs), timelines
(`--events` entries per incident on average: the generated entries a real
incident gets, plus notes, decisions, alerts and chat), a few edited entries
and tasks.

Rows are written with bulk_create in large batches, one transaction per
chunk of incidents, NOT through the service functions: those write one
incident or entry per transaction with its audit record and live
notification, which is right for people and far too slow for millions of
rows. So no audit records are generated; nothing measured reads them.

Every generated user can log in with the password GENERATED_PASSWORD;
amira.martin is always a responder.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from _common import setup_django

setup_django()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import DatabaseError, connection, transaction  # noqa: E402
from django.db.models import Max, Model  # noqa: E402
from tqdm import tqdm  # noqa: E402

from hotwash.accounts.models import Profile, Role  # noqa: E402
from hotwash.core.models import AuditRecord  # noqa: E402
from hotwash.incidents.models import (  # noqa: E402
    DetectionSource,
    Incident,
    IncidentRole,
    Participant,
    RoleAssignment,
    Service,
    Status,
    Task,
    TaskStatus,
    TimelineEdit,
    TimelineEvent,
    TimelineKind,
)

GENERATED_PASSWORD = "hotwash-bench-42"
YEARS = 3
CHUNK = 500  # incidents per transaction: ~10,000 timeline rows at 20 events
BATCH = 2000  # rows per INSERT statement where the database allows it

# --- vocabulary ---------------------------------------------------------------

SERVICES = [
    "checkout",
    "payments",
    "search",
    "exports",
    "login",
    "sso",
    "api-gateway",
    "notifications",
    "email",
    "mobile-app",
    "web-frontend",
    "billing",
    "invoicing",
    "reporting",
    "data-pipeline",
    "warehouse",
    "postgres-main",
    "redis-cache",
    "kafka",
    "object-storage",
    "cdn",
    "dns",
    "vpn",
    "ci",
    "deployments",
    "monitoring",
    "webhooks",
    "recommendations",
    "inventory",
    "shipping",
]
REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1"]
HOSTS = ["db-07", "web-12", "worker-03", "cache-02", "lb-01", "batch-09", "kafka-04"]
TEAMS = ["platform", "payments", "search", "data", "mobile", "SRE", "networking", "security"]

TITLES = [
    "{Service} latency above SLO",
    "Exports are empty",
    "Elevated 5xx rate on {service}",
    "{Service} unavailable in {region}",
    "{Service} degraded in {region}",
    "Checkout failing for some card payments",
    "Login failures for SSO customers",
    "Payment webhooks delayed",
    "Search results are stale",
    "Certificate expired on {host}",
    "Disk full on {host}",
    "Nightly {service} job lost data",
    "Emails not delivered",
    "Mobile app crashes on start",
    "DNS resolution failures in {region}",
    "Queue backlog growing on {service}",
    "Replica lag on {service}",
    "Deploys blocked: CI is red",
    "Monitoring gap: {service} heartbeat stopped",
    "Invoices generated twice",
    "{Service} memory leak after release",
    "Slow dashboard loads for large accounts",
    "Customers report missing notifications",
    "Rate limiting too aggressive on {service}",
]
PRIVATE_TITLES = [
    "Suspicious logins to the admin panel",
    "Leaked credential in a repository",
    "Phishing campaign targeting staff",
    "Access review finding",
    "Unexpected data access by a contractor account",
    "Laptop reported stolen",
]
NOTES = [
    "Checked the dashboards: error rate on {service} is {n} %.",
    "Rolled {service} back to the previous release.",
    "Paged the {team} on-call.",
    "Customer support reports {n} tickets about this.",
    "Replica lag on {host} is {n} s and falling.",
    "Scaled {service} from {n} to {m} instances.",
    "Traffic from {region} shifted to another region.",
    "The last deploy of {service} went out {n} minutes before the alert.",
    "Logs show connection timeouts from {service} to {host}.",
    "Status page updated.",
    "Error rate back to baseline for the last {n} minutes.",
    "Feature flag for the new {service} path turned off.",
    "Opened a ticket with the cloud provider.",
    "Restarted {host}; it is healthy again.",
]
DECISIONS = [
    "Decision: fail {service} over to {region}.",
    "Decision: pause deploys until this is resolved.",
    "Decision: roll back rather than fix forward.",
    "Decision: notify affected customers by email.",
    "Decision: keep the feature flag off until the postmortem.",
]
CHAT = [
    "@{user} can you look at the {service} logs?",
    "Looking at {host} now.",
    "Is anyone else seeing timeouts from {service}?",
    "I can reproduce it from {region}.",
    "Graph attached in the channel.",
    "Back in 10 minutes.",
]
ALERTS = [
    "[FIRING] {service} HighErrorRate: {n} % 5xx",
    "[FIRING] {service} LatencyP99 above {m} ms",
    "[FIRING] {host} DiskUsage above 95 %",
    "[FIRING] {service} heartbeat missing for {n} min",
]
SUMMARIES = [
    "A release of {service} introduced a slow query; rolled back.",
    "{Service} lost its connection pool after a failover in {region}.",
    "A certificate on {host} expired; renewed and automation fixed.",
    "A configuration change throttled {service}; reverted.",
]
IMPACTS = [
    "About {n} % of requests to {service} failed for {m} minutes.",
    "Customers in {region} could not use {service}.",
    "{n} customers received duplicate emails.",
    "Internal only: no customer impact.",
]
TASKS = [
    "Check replica lag on {host}",
    "Post an update on the status page",
    "Roll back {service}",
    "Collect logs from {host}",
    "Tell customer support what to say",
    "Confirm {service} is healthy in {region}",
]
FIRST_NAMES = [
    "amira", "sam", "lea", "noah", "chloe", "ines", "lucas", "emma", "hugo", "jade",
    "louis", "alice", "adam", "lina", "jules", "rose", "paul", "mila", "tom", "nina",
    "omar", "zoe", "yanis", "eva", "theo", "anna", "malo", "iris", "nils", "ada",
]  # fmt: skip
LAST_NAMES = [
    "martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand",
    "leroy", "moreau", "simon", "laurent", "lefebvre", "michel", "garcia", "david",
    "bertrand", "roux", "vincent", "fournier", "nguyen", "okafor", "kowalski", "silva",
]  # fmt: skip
TIMEZONES = ["UTC", "Europe/Paris", "Europe/London", "America/New_York", "America/Montreal"]

STATUS_ORDER = [
    Status.TRIAGE,
    Status.INVESTIGATING,
    Status.IDENTIFIED,
    Status.MONITORING,
    Status.RESOLVED,
    Status.CLOSED,
]
SEVERITY_WEIGHTS = {1: 3, 2: 12, 3: 45, 4: 40}
SOURCE_WEIGHTS = {
    DetectionSource.ALERT: 60,
    DetectionSource.STAFF: 25,
    DetectionSource.CUSTOMER: 15,
}
FREE_KINDS = {
    TimelineKind.NOTE: 62,
    TimelineKind.CHAT: 15,
    TimelineKind.ALERT: 10,
    TimelineKind.DECISION: 8,
    TimelineKind.UPDATE: 5,
}


# --- generation ---------------------------------------------------------------


@dataclass
class Pools:
    users: list[tuple[int, str]]  # (id, username) of responders and admins
    services: list[int]


@dataclass
class Batch:
    """The rows of one chunk of incidents, written together."""

    incidents: list[Incident] = field(default_factory=list)
    links: list[Any] = field(default_factory=list)  # Incident.services.through
    participants: list[Participant] = field(default_factory=list)
    roles: list[RoleAssignment] = field(default_factory=list)
    events: list[TimelineEvent] = field(default_factory=list)
    edits: list[TimelineEdit] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "incidents": len(self.incidents),
            "services": len(self.links),
            "participants": len(self.participants),
            "roles": len(self.roles),
            "events": len(self.events),
            "edits": len(self.edits),
            "tasks": len(self.tasks),
        }


@dataclass
class Lifecycle:
    status: str
    path: list[Status]  # statuses passed through, first to last
    times: dict[str, datetime | None]


class Generator:
    def __init__(self, rng: random.Random, pools: Pools, events: float, now: datetime) -> None:
        self.rng = rng
        self.pools = pools
        self.events = events
        self.now = now
        self.start = now - timedelta(days=365 * YEARS)
        self.severities, self.severity_weights = _weights(SEVERITY_WEIGHTS)
        self.sources, self.source_weights = _weights(SOURCE_WEIGHTS)
        self.free_kinds, self.free_weights = _weights(FREE_KINDS)

    # Text ------------------------------------------------------------------

    def text(self, templates: Sequence[str]) -> str:
        rng = self.rng
        service = rng.choice(SERVICES)
        return rng.choice(templates).format(
            service=service,
            Service=service.capitalize(),
            region=rng.choice(REGIONS),
            host=rng.choice(HOSTS),
            team=rng.choice(TEAMS),
            user=rng.choice(self.pools.users)[1],
            n=rng.randint(2, 60),
            m=rng.randint(61, 900),
        )

    # Incidents ---------------------------------------------------------------

    def declared_at(self, index: int, total: int) -> datetime:
        """Spread over the period in id order, with jitter, as real ids are."""
        span = (self.now - self.start).total_seconds()
        position = (index + self.rng.random()) / total
        # Stop an hour before now so every incident has room for its first minutes.
        return self.start + timedelta(seconds=position * (span - 3600))

    def lifecycle(self, declared: datetime) -> Lifecycle:
        rng = self.rng
        age = self.now - declared
        if age > timedelta(days=30):
            final = Status.CLOSED if rng.random() < 0.92 else Status.RESOLVED
        elif age > timedelta(days=2):
            final = rng.choices(
                [Status.CLOSED, Status.RESOLVED, Status.MONITORING], weights=[45, 50, 5]
            )[0]
        else:
            final = rng.choices(STATUS_ORDER[:5], weights=[10, 35, 20, 20, 15])[0]
        first = Status.TRIAGE if final == Status.TRIAGE or rng.random() < 0.25 else None
        first = first or Status.INVESTIGATING
        path = STATUS_ORDER[STATUS_ORDER.index(first) : STATUS_ORDER.index(final) + 1]
        if Status.IDENTIFIED in path[:-1] and rng.random() < 0.3:
            path.remove(Status.IDENTIFIED)

        minutes = {
            "acknowledged_at": rng.uniform(1, 15) if first == Status.TRIAGE else rng.uniform(0, 4),
        }
        minutes["mitigated_at"] = minutes["acknowledged_at"] + math.exp(rng.gauss(3.7, 0.9))
        minutes["resolved_at"] = minutes["mitigated_at"] + math.exp(rng.gauss(3.4, 1.0))
        minutes["closed_at"] = minutes["resolved_at"] + math.exp(rng.gauss(8.3, 0.8))
        wanted = ["acknowledged_at"] if final != Status.TRIAGE else []
        if STATUS_ORDER.index(final) >= STATUS_ORDER.index(Status.MONITORING):
            wanted.append("mitigated_at")
        if final in (Status.RESOLVED, Status.CLOSED):
            wanted.append("resolved_at")
        if final == Status.CLOSED:
            wanted.append("closed_at")
        # A recent incident cannot have been resolved in the future: squeeze
        # its milestones into the time it has really had.
        room = (self.now - declared).total_seconds() / 60 * 0.9
        last = max((minutes[name] for name in wanted), default=0.0)
        scale = min(1.0, room / last) if last else 1.0
        times: dict[str, datetime | None] = {
            name: declared + timedelta(minutes=minutes[name] * scale) if name in wanted else None
            for name in minutes
        }
        times["declared_at"] = declared
        times["detected_at"] = declared - timedelta(minutes=rng.uniform(0, 20))
        times["impact_started_at"] = (
            declared - timedelta(minutes=rng.uniform(2, 90)) if rng.random() < 0.8 else None
        )
        return Lifecycle(status=final, path=path, times=times)

    def incident(self, pk: int, index: int, total: int, batch: Batch) -> None:
        rng = self.rng
        declared = self.declared_at(index, total)
        life = self.lifecycle(declared)
        times = life.times
        end = times["resolved_at"] or min(self.now, declared + timedelta(hours=rng.uniform(1, 12)))
        private = rng.random() < 0.03
        severity = rng.choices(self.severities, weights=self.severity_weights)[0]
        initial_severity = severity
        if rng.random() < 0.15:
            initial_severity = min(4, max(1, severity + rng.choice((-1, 1))))

        people = rng.sample(self.pools.users, k=min(len(self.pools.users), rng.randint(2, 6)))
        creator = people[0][0]
        title = rng.choice(PRIVATE_TITLES) if private and rng.random() < 0.7 else self.text(TITLES)
        timeline = IncidentTimeline(self, pk, declared, end, [p[0] for p in people])
        timeline.add(
            TimelineKind.DECLARED,
            declared,
            author=creator,
            data={"title": title, "severity": initial_severity, "status": life.path[0]},
            key=True,
        )
        self.status_changes(life, timeline)
        if initial_severity != severity:
            timeline.add(
                TimelineKind.SEVERITY,
                self.between(declared, end),
                data={"field": "severity", "from": initial_severity, "to": severity},
                key=True,
            )
        joined = self.roles(pk, life, severity, end, people, timeline, batch)
        summary = impact = ""
        if rng.random() < 0.5:
            summary = self.text(SUMMARIES)
            timeline.add(
                TimelineKind.UPDATE,
                self.between(declared, end),
                data={"field": "summary", "from": "", "to": summary},
            )
        if rng.random() < 0.6:
            impact = self.text(IMPACTS)
            timeline.add(
                TimelineKind.UPDATE,
                self.between(declared, end),
                data={"field": "impact", "from": "", "to": impact},
            )
        timeline.fill(self.timeline_length())
        last_write = timeline.write(batch)

        batch.incidents.append(
            Incident(
                id=pk,
                title=title,
                summary=summary,
                impact=impact,
                status=life.status,
                severity=severity,
                private=private,
                detection_source=rng.choices(self.sources, weights=self.source_weights)[0],
                created_by_id=creator,
                updated_at=max(last_write, times["closed_at"] or declared),
                **times,
            )
        )
        through = Incident.services.through
        for service in rng.sample(self.pools.services, k=rng.choices((1, 2, 3), (60, 30, 10))[0]):
            batch.links.append(through(incident_id=pk, service_id=service))
        for user_id, _name in people:
            batch.participants.append(
                Participant(
                    incident_id=pk, user_id=user_id, joined_at=joined.get(user_id, declared)
                )
            )
        self.tasks(pk, life, declared, end, people, batch)

    def between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.random()

    def timeline_length(self) -> int:
        """Entries for one incident: mean `events`, a long tail (a big outage
        has hundreds), never fewer than one."""
        if self.events <= 1:
            return 1
        return min(max(1, round(self.rng.gammavariate(2.0, self.events / 2))), int(self.events * 8))

    def status_changes(self, life: Lifecycle, timeline: IncidentTimeline) -> None:
        times = life.times
        at: dict[str, datetime | None] = {
            Status.INVESTIGATING: times["acknowledged_at"],
            Status.MONITORING: times["mitigated_at"],
            Status.RESOLVED: times["resolved_at"],
            Status.CLOSED: times["closed_at"],
        }
        ack, mitigated = times["acknowledged_at"], times["mitigated_at"]
        if ack is not None:
            at[Status.IDENTIFIED] = self.between(ack, mitigated or timeline.end)
        for before, after in zip(life.path, life.path[1:], strict=False):
            when = at.get(after) or timeline.end
            timeline.add(
                TimelineKind.STATUS,
                when,
                data={"field": "status", "from": before, "to": after},
                key=True,
            )

    def roles(
        self,
        pk: int,
        life: Lifecycle,
        severity: int,
        end: datetime,
        people: list[tuple[int, str]],
        timeline: IncidentTimeline,
        batch: Batch,
    ) -> dict[int, datetime]:
        """Role assignments with their timeline entries; returns when each
        person joined."""
        rng = self.rng
        declared = life.times["declared_at"]
        assert declared is not None
        start = life.times["acknowledged_at"] or declared
        joined: dict[int, datetime] = {people[0][0]: declared}
        chances = {
            IncidentRole.COMMANDER: 1.0,
            IncidentRole.SCRIBE: 0.6,
            IncidentRole.COMMUNICATIONS: 0.8 if severity <= 2 else 0.15,
            IncidentRole.OPERATIONS: 0.3,
        }
        for role, chance in chances.items():
            if rng.random() >= chance:
                continue
            holders = [rng.choice(people)]
            if rng.random() < 0.2 and len(people) > 1:  # a hand-over
                holders.append(rng.choice([p for p in people if p != holders[0]]))
            when = start + timedelta(minutes=rng.uniform(0, 3) if role == "commander" else 0)
            previous: str | None = None
            for number, (user_id, username) in enumerate(holders):
                if number:
                    when = self.between(when, end)
                    batch.roles[-1].ended_at = when
                batch.roles.append(
                    RoleAssignment(
                        incident_id=pk,
                        role=role,
                        user_id=user_id,
                        started_at=when,
                        assigned_by_id=people[0][0],
                    )
                )
                joined.setdefault(user_id, when)
                timeline.add(
                    TimelineKind.ROLE,
                    when,
                    data={"role": role, "from": previous, "to": username},
                    key=role == IncidentRole.COMMANDER,
                )
                previous = username
        return joined

    def tasks(
        self,
        pk: int,
        life: Lifecycle,
        declared: datetime,
        end: datetime,
        people: list[tuple[int, str]],
        batch: Batch,
    ) -> None:
        rng = self.rng
        finished = life.status in (Status.RESOLVED, Status.CLOSED)
        for _number in range(rng.choice((0, 0, 1, 1, 2, 3))):
            created = self.between(declared, end)
            done = finished or rng.random() < 0.4
            batch.tasks.append(
                Task(
                    incident_id=pk,
                    title=self.text(TASKS),
                    assignee_id=rng.choice(people)[0] if rng.random() < 0.7 else None,
                    status=TaskStatus.DONE if done else TaskStatus.OPEN,
                    created_at=created,
                    created_by_id=rng.choice(people)[0],
                    done_at=self.between(created, end) if done else None,
                )
            )


class IncidentTimeline:
    """Collects one incident's entries: the generated ones first, then
    free-form ones up to the wanted length."""

    def __init__(
        self, gen: Generator, pk: int, declared: datetime, end: datetime, people: list[int]
    ) -> None:
        self.gen = gen
        self.pk = pk
        self.declared = declared
        self.end = end
        self.people = people
        self.entries: list[dict[str, Any]] = []

    def add(
        self,
        kind: str,
        when: datetime,
        *,
        author: int | None = None,
        body: str = "",
        data: dict[str, Any] | None = None,
        key: bool = False,
        recorded: datetime | None = None,
    ) -> None:
        self.entries.append(
            {
                "kind": kind,
                "occurred_at": when,
                "recorded_at": recorded or when,
                "author_id": author or self.gen.rng.choice(self.people),
                "body": body,
                "data": data or {},
                "key_moment": key,
            }
        )

    def fill(self, length: int) -> None:
        gen, rng = self.gen, self.gen.rng
        if len(self.entries) > length:
            # A short timeline keeps its declaration and a sample of the rest.
            self.entries = self.entries[:1] + rng.sample(self.entries[1:], length - 1)
            return
        kinds = rng.choices(gen.free_kinds, weights=gen.free_weights, k=length - len(self.entries))
        templates = {
            TimelineKind.NOTE: NOTES,
            TimelineKind.DECISION: DECISIONS,
            TimelineKind.CHAT: CHAT,
            TimelineKind.ALERT: ALERTS,
        }
        for kind in kinds:
            if kind == TimelineKind.UPDATE:
                kind = TimelineKind.NOTE  # field updates were added already
            if kind == TimelineKind.ALERT:
                when = self.declared - timedelta(minutes=rng.uniform(0, 30))
            else:
                when = gen.between(self.declared, self.end)
            recorded = when + timedelta(seconds=rng.uniform(0, 30))
            if kind == TimelineKind.NOTE and rng.random() < 0.1:  # back-dated
                recorded = min(gen.now, when + timedelta(minutes=rng.uniform(5, 120)))
            key = (kind == TimelineKind.DECISION and rng.random() < 0.5) or (
                kind == TimelineKind.NOTE and rng.random() < 0.05
            )
            self.add(
                kind,
                when,
                author=None if kind == TimelineKind.ALERT else rng.choice(self.people),
                body=gen.text(templates[kind]),
                key=key,
                recorded=recorded,
            )
        for entry in self.entries:
            if entry["kind"] == TimelineKind.ALERT:
                entry["author_id"] = None

    def write(self, batch: Batch) -> datetime:
        """Append the entries to `batch`; return the latest write time."""
        rng = self.gen.rng
        latest = self.declared
        for entry in self.entries:
            event = TimelineEvent(incident_id=self.pk, **entry)
            batch.events.append(event)
            latest = max(latest, entry["recorded_at"])
            if entry["kind"] == TimelineKind.NOTE and rng.random() < 0.01:
                self.edit(event, batch)
                latest = max(latest, event.edited_at or latest)
        return latest

    def edit(self, event: TimelineEvent, batch: Batch) -> None:
        """Mark `event` as corrected, with its edit history. Its id is only
        known once written, so the edit is linked in `write_batch`."""
        edited = min(self.gen.now, event.recorded_at + timedelta(minutes=5))
        before = event.body
        event.body = before.rstrip(".") + " (corrected)."
        event.edited_at = edited
        batch.edits.append(
            TimelineEdit(
                event=event,
                editor_id=event.author_id,
                edited_at=edited,
                before={"body": before},
                after={"body": event.body},
            )
        )


def _weights(table: dict[Any, int]) -> tuple[list[Any], list[int]]:
    return list(table), list(table.values())


# --- database -----------------------------------------------------------------


def ensure_services() -> list[int]:
    existing = set(Service.objects.filter(name__in=SERVICES).values_list("name", flat=True))
    Service.objects.bulk_create(
        [
            Service(name=name, description=f"The {name} service.")
            for name in SERVICES
            if name not in existing
        ]
    )
    return list(Service.objects.filter(name__in=SERVICES).values_list("id", flat=True))


def ensure_users(count: int, rng: random.Random) -> list[tuple[int, str]]:
    """`count` responders (a few admins among them) and a few viewers, all
    with the password GENERATED_PASSWORD; existing ones are reused."""
    capacity = len(FIRST_NAMES) * len(LAST_NAMES)
    if count > capacity:
        raise SystemExit(f"--users can be at most {capacity}.")
    names = [
        f"{FIRST_NAMES[i % len(FIRST_NAMES)]}.{LAST_NAMES[i // len(FIRST_NAMES)]}"
        for i in range(count)
    ]
    viewers = [f"viewer.{i}" for i in range(max(2, count // 20))]
    # The first name is always a plain responder (bench/core.py signs in as
    # it); the next few are admins.
    admins = names[1:4]
    existing = set(
        User.objects.filter(username__in=names + viewers).values_list("username", flat=True)
    )
    # One hash for everyone: hashing is deliberately slow, and a bench does
    # not need a distinct salt per account.
    password = make_password(GENERATED_PASSWORD)
    new = [
        User(
            username=name,
            password=password,
            first_name=name.split(".")[0].capitalize(),
            last_name=name.split(".")[1].capitalize(),
            email=f"{name}@example.com",
            is_staff=name in admins,
            is_superuser=name in admins,
        )
        for name in names + viewers
        if name not in existing
    ]
    User.objects.bulk_create(new, batch_size=BATCH)
    ids = dict(User.objects.filter(username__in=names + viewers).values_list("username", "id"))
    Profile.objects.bulk_create(
        [
            Profile(
                user_id=ids[user.username],
                role=Role.VIEWER
                if user.username in viewers
                else Role.ADMIN
                if user.is_superuser
                else Role.RESPONDER,
                timezone=rng.choice(TIMEZONES),
                language=rng.choice(("en", "en", "fr")),
            )
            for user in new
        ],
        batch_size=BATCH,
    )
    return [(ids[name], name) for name in names]


def write_batch(batch: Batch) -> None:
    with transaction.atomic():
        Incident.objects.bulk_create(batch.incidents, batch_size=BATCH)
        Incident.services.through.objects.bulk_create(batch.links, batch_size=BATCH)
        Participant.objects.bulk_create(batch.participants, batch_size=BATCH)
        RoleAssignment.objects.bulk_create(batch.roles, batch_size=BATCH)
        TimelineEvent.objects.bulk_create(batch.events, batch_size=BATCH)
        for edit in batch.edits:
            edit.event_id = edit.event.pk  # set by bulk_create above
        TimelineEdit.objects.bulk_create(batch.edits, batch_size=BATCH)
        Task.objects.bulk_create(batch.tasks, batch_size=BATCH)


INCIDENT_TABLES: list[type[Model]] = [
    TimelineEdit,
    TimelineEvent,
    Task,
    RoleAssignment,
    Participant,
    Incident.services.through,
    Incident,
]


def clear() -> None:
    """Delete every incident and what hangs off it, with plain SQL: the
    ORM's delete() loads every row to run cascades, which takes ages at
    millions of rows. Users and services are kept."""
    tables = [model._meta.db_table for model in INCIDENT_TABLES]
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(quote(t) for t in tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {quote(table)}")
        AuditRecord.objects.filter(
            object_type__in=["incidents.incident", "incidents.timelineevent", "incidents.task"]
        ).delete()


def analyze() -> None:
    """Refresh the planner's statistics, as autovacuum (PostgreSQL) or a
    periodic ANALYZE (SQLite) would on a live database: without them the
    first queries after a bulk load can pick bad plans."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM also sets the visibility map, which index-only scans need.
            for model in INCIDENT_TABLES:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            # Write the loaded pages out now, so the checkpoint a bulk load
            # triggers does not run during whatever is measured next.
            # (Only superusers may; the bench's postgres user is one.)
            with contextlib.suppress(DatabaseError):
                cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")


def reset_sequences() -> None:
    """Incidents and timeline entries were written with explicit ids; move
    PostgreSQL's sequences past them. (SQLite's AUTOINCREMENT follows on its own.)"""
    statements = connection.ops.sequence_reset_sql(no_style(), [Incident, TimelineEvent])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def next_id(model: type[Incident] | type[TimelineEvent]) -> int:
    return int(model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


# --- command line ---------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=1000, help="Incidents to add.")
    parser.add_argument(
        "--events", type=float, default=20, help="Timeline entries per incident, on average."
    )
    parser.add_argument("--users", type=int, default=300, help="Responders to create or reuse.")
    parser.add_argument("--seed", type=int, default=42, help="Random seed (same seed, same data).")
    parser.add_argument(
        "--clear", action="store_true", help="Delete all incident data before generating."
    )
    parser.add_argument(
        "--no-analyze", action="store_true", help="Skip refreshing planner statistics at the end."
    )
    parser.add_argument("--quiet", action="store_true", help="No progress bar.")
    args = parser.parse_args(argv)
    if args.incidents < 0 or args.events < 1 or args.users < 2:
        parser.error("--incidents must be >= 0, --events >= 1 and --users >= 2.")
    return args


def generate(gen: Generator, first_pk: int, total: int, progress: tqdm[Any]) -> dict[str, int]:
    """Write `total` incidents from number `first_pk` on, a chunk per
    transaction; return how many rows of each kind were written."""
    event_pk = next_id(TimelineEvent)
    counts = dict.fromkeys(Batch().counts(), 0)
    for chunk_start in range(0, total, CHUNK):
        batch = Batch()
        for index in range(chunk_start, min(chunk_start + CHUNK, total)):
            gen.incident(first_pk + index, index, total, batch)
        for event in batch.events:
            # Explicit ids: edits need their event's id, and not every
            # database returns ids from a bulk insert.
            event.id = event_pk
            event_pk += 1
        write_batch(batch)
        for name, written in batch.counts().items():
            counts[name] += written
        progress.update(len(batch.incidents))
        progress.set_postfix(rows=f"{sum(counts.values()):,}", refresh=False)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    database = f"{connection.vendor} {connection.settings_dict['NAME']}"
    if args.clear:
        started = time.perf_counter()
        clear()
        print(f"Cleared incident data in {database} ({time.perf_counter() - started:.1f} s).")

    started = time.perf_counter()
    pools = Pools(users=ensure_users(args.users, rng), services=ensure_services())
    gen = Generator(rng, pools, args.events, now=datetime.now(UTC))
    first_pk = next_id(Incident)
    with tqdm(
        total=args.incidents,
        unit=" incidents",
        desc=f"Generating into {connection.vendor}",
        disable=args.quiet,
        mininterval=0.5,
        file=sys.stderr,
    ) as progress:
        counts = generate(gen, first_pk, args.incidents, progress)
    if connection.vendor == "postgresql":
        reset_sequences()
    elapsed = time.perf_counter() - started
    rows = sum(counts.values())
    print(
        f"Wrote {rows:,} rows into {database} in {elapsed:.1f} s "
        f"({rows / max(elapsed, 1e-9):,.0f} rows/s): "
        + ", ".join(f"{count:,} {name}" for name, count in counts.items())
        + "."
    )
    if not args.no_analyze:
        started = time.perf_counter()
        analyze()
        print(f"Refreshed planner statistics in {time.perf_counter() - started:.1f} s.")
    if args.incidents:
        print(f"Incidents INC-{first_pk} to INC-{first_pk + args.incidents - 1}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

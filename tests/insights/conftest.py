"""A small world the insights tests compute by hand.

The clock stands at Wednesday 2026-03-18 12:00 UTC; "the last 4 weeks"
are the weeks starting Monday 2026-02-23, 03-02, 03-09 and 03-16.

Incidents (all declared at 10:00 UTC on the day given):
  INC-a  2026-02-24 SEV1 outage  payments  alert     impact 09:00, detected 09:30,
         ack 09:40, mitigated 11:00, resolved 13:00; commander mira 10:00-13:00;
         postmortem due 03-10, approved 03-09 (on time); item done 03-01, due 03-05
  INC-b  2026-03-03 SEV2 outage  payments  customer  impact 08:00, detected 10:00,
         ack 10:30, mitigated 12:00, resolved 18:00; commander mira 10:00-, still
         held (counts to the resolution, 8 h); postmortem due 03-12, approved 03-14
         (late); item open, due 03-10 (overdue), created 03-04
  INC-c  2026-03-10 SEV2 security search   staff   impact 09:30, detected 10:00,
         ack 10:15, no mitigation, resolved 14:00, PRIVATE (ops is a participant)
  INC-d  2026-03-17 SEV3 outage  (no service) alert detected 10:00, ack 10:05, open;
         scribe olu 10:00-, still held: up to now (26 h); opened by a trigger policy
  INC-e  2026-01-05 SEV1, outside every short period.

Teams: "Payments" owns payments; "Search" owns search.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.test import Client

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user
from hotwash.actions.models import ActionItem
from hotwash.actions.models import Status as ItemStatus
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident, Participant, RoleAssignment, Service
from hotwash.insights import services
from hotwash.postmortems.models import Comment, Postmortem
from hotwash.postmortems.models import Status as PostmortemStatus
from hotwash.teams.models import Team
from hotwash.triggers.models import Action, Mode, PolicyFiring, Trigger

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


def at(day: str, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def manager(db: None, admin_user: User) -> User:
    """Mina, a viewer in the "managers" group, which holds "view insights"."""
    mina = create_user("mina", password="correct horse 42", role=Role.VIEWER)
    group = Group.objects.create(name="managers")
    services.grant_insights(group=group, actor=admin_user)
    mina.groups.add(group)
    return User.objects.get(pk=mina.pk)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _incident(**fields: Any) -> Incident:
    declared = fields["declared_at"]
    fields.setdefault("updated_at", declared)
    services_ = fields.pop("services", [])
    incident = Incident.objects.create(**fields)
    incident.services.set(services_)
    return incident


def _postmortem(incident: Incident, *, due: date, approved: datetime | None) -> Postmortem:
    return Postmortem.objects.create(
        incident=incident,
        template="standard",
        title=incident.title,
        status=PostmortemStatus.APPROVED if approved else PostmortemStatus.DRAFT,
        required=True,
        due_on=due,
        approved_at=approved,
        created_at=incident.declared_at,
        updated_at=incident.declared_at,
    )


@pytest.fixture
def world(db: None, admin_user: User) -> dict[str, Any]:
    mira = create_user("mira", password="correct horse 42", role=Role.RESPONDER)
    olu = create_user("olu", password="correct horse 42", role=Role.RESPONDER)
    ops = create_user("ops", password="correct horse 42", role=Role.RESPONDER)
    payments = Service.objects.create(name="payments")
    search = Service.objects.create(name="search")
    Team.objects.create(name="Payments", slug="payments").services.add(payments)
    Team.objects.create(name="Search", slug="search").services.add(search)

    a = _incident(
        title="Card payments failing", severity=1, status="resolved", type="outage",
        detection_source="alert", services=[payments], declared_at=at("2026-02-24", "10:00"),
        impact_started_at=at("2026-02-24", "09:00"), detected_at=at("2026-02-24", "09:30"),
        acknowledged_at=at("2026-02-24", "09:40"), mitigated_at=at("2026-02-24", "11:00"),
        resolved_at=at("2026-02-24", "13:00"),
    )  # fmt: skip
    b = _incident(
        title="Refunds slow", severity=2, status="resolved", type="outage",
        detection_source="customer", services=[payments], declared_at=at("2026-03-03", "10:00"),
        impact_started_at=at("2026-03-03", "08:00"), detected_at=at("2026-03-03", "10:00"),
        acknowledged_at=at("2026-03-03", "10:30"), mitigated_at=at("2026-03-03", "12:00"),
        resolved_at=at("2026-03-03", "18:00"),
    )  # fmt: skip
    c = _incident(
        title="Search index leaked", severity=2, status="resolved", type="security",
        detection_source="staff", services=[search], private=True,
        declared_at=at("2026-03-10", "10:00"), impact_started_at=at("2026-03-10", "09:30"),
        detected_at=at("2026-03-10", "10:00"), acknowledged_at=at("2026-03-10", "10:15"),
        resolved_at=at("2026-03-10", "14:00"),
    )  # fmt: skip
    d = _incident(
        title="Checkout errors", severity=3, status="investigating", type="outage",
        detection_source="alert", declared_at=at("2026-03-17", "10:00"),
        detected_at=at("2026-03-17", "10:00"), acknowledged_at=at("2026-03-17", "10:05"),
    )  # fmt: skip
    e = _incident(
        title="Old outage", severity=1, status="closed", type="outage", detection_source="alert",
        declared_at=at("2026-01-05", "10:00"), resolved_at=at("2026-01-05", "12:00"),
    )  # fmt: skip
    Participant.objects.create(incident=c, user=ops, joined_at=c.declared_at)
    RoleAssignment.objects.create(
        incident=a, role="commander", user=mira, started_at=at("2026-02-24", "10:00"),
        ended_at=at("2026-02-24", "13:00"),
    )  # fmt: skip
    RoleAssignment.objects.create(
        incident=b, role="commander", user=mira, started_at=at("2026-03-03", "10:00")
    )
    RoleAssignment.objects.create(
        incident=d, role="scribe", user=olu, started_at=at("2026-03-17", "10:00")
    )
    PolicyFiring.objects.create(
        policy_id="checkout-errors", trigger=Trigger.DOWNTIME, mode=Mode.DECLARE,
        action=Action.DECLARED, key="k1", fired_at=d.declared_at, incident=d,
    )  # fmt: skip
    pm_a = _postmortem(a, due=date(2026, 3, 10), approved=at("2026-03-09", "15:00"))
    pm_b = _postmortem(b, due=date(2026, 3, 12), approved=at("2026-03-14", "15:00"))
    ActionItem.objects.create(
        incident=a, postmortem=pm_a, title="Retry card calls", owner=mira, due_on=date(2026, 3, 5),
        status=ItemStatus.DONE, done_at=at("2026-03-01", "12:00"),
        created_at=at("2026-02-25", "12:00"), updated_at=at("2026-03-01", "12:00"),
    )  # fmt: skip
    ActionItem.objects.create(
        incident=b, title="Alert on refund latency", owner=mira, due_on=date(2026, 3, 10),
        status=ItemStatus.OPEN, created_at=at("2026-03-04", "12:00"),
        updated_at=at("2026-03-04", "12:00"),
    )  # fmt: skip
    # Writing PM for a: mira saves at 14:00, 14:20, 14:40 (one session,
    # 40 min + 15) and again the next day at 09:00 (a second, 15 min):
    # 1 h 10 min. Reviewing: ada comments at 10:00 and decides at 10:10
    # (one session, 10 + 15 min = 25 min).
    for moment in ("2026-02-25 14:00", "2026-02-25 14:20", "2026-02-25 14:40", "2026-02-26 09:00"):
        day, hhmm = moment.split()
        AuditRecord.objects.create(
            at=at(day, hhmm), actor=mira, action="postmortem.section_saved",
            object_type="postmortems.postmortem", object_id=str(pm_a.pk),
        )  # fmt: skip
    Comment.objects.create(
        postmortem=pm_a, author=admin_user, body="Which retry budget?",
        created_at=at("2026-03-02", "10:00"),
    )  # fmt: skip
    AuditRecord.objects.create(
        at=at("2026-03-02", "10:10"), actor=admin_user, action="postmortem.reviewed",
        object_type="postmortems.postmortem", object_id=str(pm_a.pk),
    )  # fmt: skip
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "ops": ops, "pm_b": pm_b}

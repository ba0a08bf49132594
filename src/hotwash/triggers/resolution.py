"""Resolution time: an incident still open past the threshold for its
severity is escalated: its severity goes up one level, people are told
(`policy_fired`), and it needs a full postmortem.

The clock restarts at each escalation, and each incident escalates at most
once per severity level it reaches: a SEV3 open past a day becomes SEV2;
eight more hours at SEV2 make it SEV1; four more hours at SEV1 only notify
(there is no higher level) and mark it once more. Lowering the severity by
hand afterwards does not start the cycle again for a level it already left.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max

from hotwash.incidents import services as incidents
from hotwash.incidents.models import OPEN_STATUSES, Incident
from hotwash.triggers import engine
from hotwash.triggers.models import Action, PolicyFiring, ProposalKind, Trigger
from hotwash.triggers.policy import ResolutionTimePolicy, load_trigger_policies

INCIDENTS_PER_CHECK = 2_000


def _key(incident_id: int, level: int) -> str:
    return f"incident:{incident_id}:sev{level}"


def check_resolution_times(now: datetime) -> list[int]:
    """Escalate every open incident past its threshold. Idempotent and safe
    to run concurrently (each escalation is claimed). Returns the ids of the
    incidents it acted on."""
    rule = load_trigger_policies().first(Trigger.RESOLUTION_TIME)
    if not isinstance(rule, ResolutionTimePolicy):
        return []
    acted: list[int] = []
    for level, threshold in sorted(rule.thresholds.items()):
        candidates = list(
            Incident.objects.filter(
                status__in=OPEN_STATUSES, severity=level, declared_at__lte=now - threshold
            ).values_list("pk", flat=True)[:INCIDENTS_PER_CHECK]
        )
        done = set(
            PolicyFiring.objects.filter(
                policy_id=rule.id, key__in=[_key(pk, level) for pk in candidates]
            ).values_list("key", flat=True)
        )
        for pk in candidates:
            if _key(pk, level) not in done and _escalate(rule, pk, level, threshold, now=now):
                acted.append(pk)
    return acted


def _escalate(
    rule: ResolutionTimePolicy, pk: int, level: int, threshold: timedelta, *, now: datetime
) -> bool:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().filter(pk=pk).first()
        if incident is None or incident.status not in OPEN_STATUSES or incident.severity != level:
            return False
        last = PolicyFiring.objects.filter(policy_id=rule.id, incident=incident).aggregate(
            last=Max("fired_at")
        )["last"]
        since = max(incident.declared_at, last) if last else incident.declared_at
        if now - since < threshold:
            return False
        target = max(level - 1, 1)
        firing = engine.claim(
            rule,
            key=_key(pk, level),
            action=Action.ESCALATED,
            now=now,
            incident=incident,
            details={
                "threshold": int(threshold.total_seconds()),
                "open_seconds": int((now - incident.declared_at).total_seconds()),
                "from": level,
                "to": target,
            },
        )
        if firing is None:
            return False
        if rule.mode == "notify":
            engine.notify_only(firing, now=now)
        elif rule.mode == "propose" and target < level:
            proposal = engine.propose(
                firing,
                kind=ProposalKind.ESCALATE,
                title=incident.title,
                details={"severity": target},
                incident=incident,
                now=now,
            )
            firing.action = Action.PROPOSED
            engine.finish(firing, now=now, proposal=proposal)
        else:
            if target < level:
                incidents.update_incident(incident, actor=None, changes={"severity": target})
            firing.action = Action.ESCALATED
            engine.finish(firing, now=now)
    return True

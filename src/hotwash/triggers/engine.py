"""What every trigger does once it has decided to fire.

A firing is claimed by inserting its PolicyFiring row: (policy, key) is
unique, so when two processes (two ingestion requests, two workers) reach
the same decision at once, the second insert fails and that process does
nothing. Then, by the policy's mode, the firing declares (or joins) an
incident, records a proposal, or only notifies; and in the same transaction
writes its audit record, its timeline entry on the incident, and sends
`policy_fired` for the notifications app.

Callers run inside a transaction (the ingestion request's, or their own).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from hotwash.core.audit import record_audit
from hotwash.core.text import one_line
from hotwash.incidents import services as incidents
from hotwash.incidents.models import DetectionSource, Incident, TimelineKind
from hotwash.triggers.models import (
    ALERTS_KEPT,
    Action,
    ChangeEvent,
    Heartbeat,
    PolicyFiring,
    Proposal,
    ProposalKind,
)
from hotwash.triggers.signals import policy_fired

# True while a trigger (or the acceptance of one of its proposals) declares
# an incident: such an incident was found by Hotwash, not by a person, so it
# never gets the "add detection for this" proposal.
_declaring = contextvars.ContextVar("hotwash_trigger_declaring", default=False)

# (policy id, key) pairs this process has seen committed. A firing is never
# deleted, so a pair in here is always claimed already, which spares the
# hot ingestion path a failed INSERT for every repeat of an alert storm.
_claimed: set[tuple[str, str]] = set()
_CLAIMED_MAX = 50_000


@contextlib.contextmanager
def declaring_by_trigger() -> Iterator[None]:
    token = _declaring.set(True)
    try:
        yield
    finally:
        _declaring.reset(token)


def is_declaring_by_trigger() -> bool:
    return _declaring.get()


def forget_claims() -> None:
    """For tests that reuse keys across databases."""
    _claimed.clear()


def _remember(pair: tuple[str, str]) -> None:
    if len(_claimed) >= _CLAIMED_MAX:
        _claimed.clear()
    _claimed.add(pair)


def site_language() -> Any:
    """Titles and summaries Hotwash writes into an incident are stored text,
    so they are written once, in the site's language."""
    return translation.override(settings.LANGUAGE_CODE)


@dataclass
class Subject:
    """The incident a firing would open (or propose)."""

    title: str
    severity: int
    services: list[str] = field(default_factory=list)
    private: bool = False
    summary: str = ""
    detection_source: str = DetectionSource.ALERT
    impact_started_at: datetime | None = None

    def as_details(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "severity": self.severity,
            "services": self.services,
            "private": self.private,
            "summary": self.summary,
            "detection_source": self.detection_source,
            "impact_started_at": self.impact_started_at.isoformat()
            if self.impact_started_at
            else None,
        }


def alert_records(alerts: Sequence[Any]) -> list[dict[str, Any]]:
    """What a firing keeps of the alerts it saw (the first ALERTS_KEPT)."""
    return [
        {
            "id": alert.pk,
            "fingerprint": alert.fingerprint,
            "alertname": str((alert.labels or {}).get("alertname", "")),
            "labels": alert.labels or {},
        }
        for alert in alerts[:ALERTS_KEPT]
    ]


def claim(
    policy: Any,
    *,
    key: str,
    action: str,
    now: datetime,
    incident: Incident | None = None,
    alerts: Sequence[Any] = (),
    change: ChangeEvent | None = None,
    heartbeat: Heartbeat | None = None,
    details: Mapping[str, Any] | None = None,
) -> PolicyFiring | None:
    """Record that `policy` fires for `key`, or None if it already has."""
    pair = (policy.id, key)
    if pair in _claimed:
        return None
    try:
        with transaction.atomic():
            firing = PolicyFiring.objects.create(
                policy_id=policy.id,
                trigger=policy.trigger,
                mode=policy.mode,
                action=action,
                key=key[:200],
                fired_at=now,
                incident=incident,
                change=change,
                heartbeat=heartbeat,
                alerts=alert_records(alerts),
                alert_count=len(alerts),
                details=dict(details or {}),
                full_postmortem=bool(policy.full_postmortem),
            )
    except IntegrityError:
        transaction.on_commit(lambda: _remember(pair))
        return None
    transaction.on_commit(lambda: _remember(pair))
    return firing


def _clip_title(title: str) -> str:
    title = one_line(title)
    return title if len(title) <= incidents.TITLE_MAX else title[: incidents.TITLE_MAX - 1] + "…"


def declare(firing: PolicyFiring, subject: Subject, *, now: datetime) -> Incident:
    """Open the incident the firing calls for (Hotwash is the actor)."""
    started = subject.impact_started_at
    with declaring_by_trigger():
        incident = incidents.declare_incident(
            actor=None,
            title=_clip_title(subject.title),
            severity=subject.severity,
            summary=subject.summary[: incidents.TEXT_MAX],
            services=subject.services,
            private=subject.private,
            detection_source=subject.detection_source,
            # An alert's clock may run ahead of ours; the impact cannot
            # have started in the future.
            impact_started_at=min(started, now, timezone.now()) if started else None,
            detected_at=min(now, timezone.now()),
        )
    firing.incident = incident
    return incident


def propose(
    firing: PolicyFiring,
    *,
    kind: str,
    title: str,
    details: Mapping[str, Any],
    incident: Incident | None = None,
    now: datetime,
) -> Proposal:
    return Proposal.objects.create(
        firing=firing,
        kind=kind,
        title=_clip_title(title),
        details=dict(details),
        incident=incident,
        created_at=now,
    )


def finish(
    firing: PolicyFiring,
    *,
    now: datetime,
    proposal: Proposal | None = None,
    entry: Mapping[str, Any] | None = None,
    on_timeline: bool = True,
) -> PolicyFiring:
    """Save what the firing did, with its audit record, its timeline entry
    on the incident (if any, unless `on_timeline` is false), and the
    `policy_fired` signal."""
    firing.save(update_fields=["incident", "action", "details"])
    record_audit(
        actor=None,
        action="trigger.fired",
        obj=firing,
        changes={
            "policy": firing.policy_id,
            "trigger": firing.trigger,
            "mode": firing.mode,
            "action": firing.action,
            "incident": firing.incident_id,
            "proposal": proposal.pk if proposal is not None else None,
            "alerts": firing.alert_count,
        },
        now=now,
    )
    if firing.incident is not None and on_timeline:
        incidents.record_system_event(
            firing.incident,
            kind=TimelineKind.TRIGGER,
            now=now,
            body=f"{firing.policy_id}: {firing.action}",
            data=timeline_data(firing, proposal, entry),
            key_moment=firing.action in (Action.DECLARED, Action.ESCALATED),
        )
    policy_fired.send(sender=PolicyFiring, firing=firing, proposal=proposal)
    return firing


def timeline_data(
    firing: PolicyFiring, proposal: Proposal | None, extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Everything the describer needs, so reading a timeline costs no query
    per entry."""
    names = sorted({a["alertname"] for a in firing.alerts if a.get("alertname")})
    data: dict[str, Any] = {
        "event": "fired",
        "firing": firing.pk,
        "policy": firing.policy_id,
        "trigger": firing.trigger,
        "mode": firing.mode,
        "action": firing.action,
        "alert_count": firing.alert_count,
        "alertnames": names[:5],
    }
    if proposal is not None:
        data["proposal"] = proposal.pk
        data["proposal_kind"] = proposal.kind
        data["proposal_title"] = proposal.title
        data["proposal_subject"] = proposal.details.get("subject")
    for name in ("threshold", "from", "to", "heartbeat", "change_kind", "service", "version"):
        if name in firing.details:
            data[name] = firing.details[name]
    data.update(extra or {})
    return data


def notify_only(firing: PolicyFiring, *, now: datetime, on_timeline: bool = True) -> PolicyFiring:
    firing.action = Action.NOTIFIED
    return finish(firing, now=now, on_timeline=on_timeline)


def declare_or_propose(
    policy: Any,
    firing: PolicyFiring,
    subject: Subject,
    *,
    now: datetime,
) -> tuple[Incident | None, Proposal | None]:
    """The common case: by mode, open the incident, propose it, or notify."""
    if policy.mode == "declare":
        incident = declare(firing, subject, now=now)
        firing.action = Action.DECLARED
        finish(firing, now=now)
        return incident, None
    if policy.mode == "propose":
        proposal = propose(
            firing,
            kind=ProposalKind.DECLARE,
            title=subject.title,
            details=subject.as_details(),
            now=now,
        )
        firing.action = Action.PROPOSED
        finish(firing, now=now, proposal=proposal)
        return None, proposal
    notify_only(firing, now=now)
    return None, None

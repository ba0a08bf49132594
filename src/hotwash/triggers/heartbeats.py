"""Heartbeats: things that must keep saying "I am alive".

A heartbeat named in the policy file lives either by pings
(POST /api/v1/heartbeats/{name}) or, with `alert`, by an always-firing alert
such as Alertmanager's Watchdog that keeps being re-notified (the alert's
last_received_at). Monitoring starts with the first sign of life. When none
comes within period + grace, the periodic check marks it silent, once per
outage, and fires the monitoring-failure policy; the next sign of life
records the recovery on that incident's timeline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.alerts.models import Alert, AlertStatus
from hotwash.core.audit import record_audit
from hotwash.core.errors import NotFound, PermissionDenied
from hotwash.incidents import services as incidents
from hotwash.incidents.models import TimelineKind
from hotwash.incidents.services import Actor
from hotwash.triggers import engine
from hotwash.triggers.durations import exact_duration
from hotwash.triggers.labels import label_value
from hotwash.triggers.models import Action, Heartbeat, HeartbeatStatus, Trigger
from hotwash.triggers.policy import (
    HeartbeatConfig,
    MonitoringFailurePolicy,
    TriggerPolicies,
    load_trigger_policies,
    render_title,
)


def configured(name: str) -> HeartbeatConfig:
    config = load_trigger_policies().heartbeat(name)
    if config is None:
        raise NotFound(
            _(
                "No heartbeat named %(name)s is configured. Add it under heartbeats: in the "
                "trigger policy file (HOTWASH_TRIGGER_POLICY_FILE), with its period."
            )
            % {"name": name}
        )
    return config


def ping(name: str, *, actor: Actor, now: datetime | None = None) -> Heartbeat:
    """A sign of life from `name`, sent by a script or a cron job."""
    if actor is not None and not can_respond(actor):
        raise PermissionDenied(
            _("Only responders and admins can send heartbeats; use a responder's API token.")
        )
    config = configured(name)
    now = now or timezone.now()
    # The common case, one UPDATE: the heartbeat exists and is alive.
    alive = Heartbeat.objects.filter(name=config.name, status=HeartbeatStatus.UP)
    if alive.update(last_ping_at=Greatest("last_ping_at", now), last_source="api"):
        return Heartbeat.objects.get(name=config.name)
    with transaction.atomic():
        return sign_of_life(config, at=now, source="api", now=now, actor=actor)


def _locked(config: HeartbeatConfig, now: datetime) -> Heartbeat:
    # INSERT ... ON CONFLICT DO NOTHING, then lock: two first pings at once
    # cannot both create the row.
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=config.name, created_at=now)], ignore_conflicts=True
    )
    return Heartbeat.objects.select_for_update().get(name=config.name)


def sign_of_life(
    config: HeartbeatConfig, *, at: datetime, source: str, now: datetime, actor: Actor = None
) -> Heartbeat:
    """Record a sign of life at `at` (inside the caller's transaction):
    the first one starts monitoring, one after a silence ends the outage."""
    heartbeat = _locked(config, now)
    first = heartbeat.last_ping_at is None
    stale = heartbeat.last_ping_at is not None and at <= heartbeat.last_ping_at
    if stale and heartbeat.status == HeartbeatStatus.UP:
        return heartbeat
    heartbeat.last_ping_at = max(at, heartbeat.last_ping_at or at)
    heartbeat.last_source = source
    if first:
        record_audit(
            actor=actor,
            action="heartbeat.started",
            obj=heartbeat,
            changes={"name": config.name, "source": source},
        )
    if heartbeat.status == HeartbeatStatus.DOWN:
        _recovered(heartbeat, at=at, now=now, actor=actor)
    heartbeat.save()
    return heartbeat


def _recovered(heartbeat: Heartbeat, *, at: datetime, now: datetime, actor: Actor) -> None:
    silent_since = heartbeat.down_since or at
    heartbeat.status = HeartbeatStatus.UP
    heartbeat.down_since = None
    record_audit(
        actor=actor,
        action="heartbeat.recovered",
        obj=heartbeat,
        changes={"name": heartbeat.name, "silent_since": silent_since.isoformat()},
    )
    if heartbeat.incident_id is not None:
        incident = heartbeat.incident
        assert incident is not None
        incidents.record_system_event(
            incident,
            kind=TimelineKind.TRIGGER,
            actor=actor,
            now=now,
            occurred_at=min(at, now),
            body=f"heartbeat {heartbeat.name} recovered",
            data={
                "event": "heartbeat_recovered",
                "heartbeat": heartbeat.name,
                "silent_seconds": max(int((at - silent_since).total_seconds()), 0),
            },
            key_moment=True,
        )


# --- the periodic check -------------------------------------------------------


def _alerts_for(config: HeartbeatConfig) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(status=AlertStatus.FIRING)
    for position, (name, value) in enumerate((config.alert or {}).items()):
        alias = f"label_{position}"
        alerts = alerts.alias(**{alias: label_value(name)}).filter(**{alias: value})
    return alerts


def mirror_alerts(config: HeartbeatConfig, now: datetime) -> None:
    """A firing Watchdog alert's latest notification is the heartbeat's
    latest sign of life."""
    latest = _alerts_for(config).aggregate(latest=Max("last_received_at"))["latest"]
    if latest is None:
        return
    row = Heartbeat.objects.filter(name=config.name).values_list("last_ping_at", "status").first()
    if row is not None and row[0] is not None and row[0] >= latest:
        return
    with transaction.atomic():
        sign_of_life(config, at=min(latest, now), source="alert", now=now)


def check_heartbeats(now: datetime) -> list[str]:
    """Mirror Watchdog alerts, then open an outage for each heartbeat silent
    past period + grace. Idempotent and safe to run concurrently: an outage
    is claimed by a conditional UPDATE. Returns the names found silent."""
    policies = load_trigger_policies()
    silent: list[str] = []
    for config in policies.active_heartbeats():
        if config.alert:
            mirror_alerts(config, now)
        if _went_silent(config, now, policies):
            silent.append(config.name)
    return silent


def _went_silent(config: HeartbeatConfig, now: datetime, policies: TriggerPolicies) -> bool:
    deadline = now - config.silence
    with transaction.atomic():
        heartbeat = Heartbeat.objects.filter(
            name=config.name, status=HeartbeatStatus.UP, last_ping_at__lt=deadline
        ).first()
        if heartbeat is None or heartbeat.last_ping_at is None:
            return False
        last = heartbeat.last_ping_at
        claimed = Heartbeat.objects.filter(
            pk=heartbeat.pk, status=HeartbeatStatus.UP, last_ping_at=last
        ).update(status=HeartbeatStatus.DOWN, down_since=last)
        if not claimed:
            return False  # another worker got there first, or a ping arrived
        heartbeat.status, heartbeat.down_since = HeartbeatStatus.DOWN, last
        record_audit(
            actor=None,
            action="heartbeat.silent",
            obj=heartbeat,
            changes={"name": config.name, "silent_since": last.isoformat()},
        )
        rule = policies.first(Trigger.MONITORING_FAILURE)
        if isinstance(rule, MonitoringFailurePolicy):
            _fire(rule, config, heartbeat, now=now)
    return True


def _fire(
    rule: MonitoringFailurePolicy, config: HeartbeatConfig, heartbeat: Heartbeat, *, now: datetime
) -> None:
    last = heartbeat.last_ping_at
    assert last is not None
    firing = engine.claim(
        rule,
        key=f"heartbeat:{config.name}:{int(last.timestamp())}",
        action=Action.DECLARED,
        now=now,
        heartbeat=heartbeat,
        details={
            "heartbeat": config.name,
            "silent_since": last.isoformat(),
            "threshold": int(config.silence.total_seconds()),
            "source": heartbeat.last_source,
        },
    )
    if firing is None:
        return
    with engine.site_language():
        template = config.title or rule.title
        title = (
            render_title(template, {"name": config.name, "service": config.service})
            if template
            else _("Monitoring failure: %(name)s silent") % {"name": config.name}
        )
        summary = _(
            "Opened by the trigger policy %(policy)s: no sign of life from the heartbeat "
            "%(name)s since %(since)s (expected every %(period)s, with %(grace)s of grace). "
            "Whatever it watches is not being watched now."
        ) % {
            "policy": rule.id,
            "name": config.name,
            "since": last.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "period": exact_duration(config.period),
            "grace": exact_duration(config.grace),
        }
    subject = engine.Subject(
        title=title,
        severity=config.severity or rule.severity,
        services=[config.service] if config.service else [],
        summary=summary,
        impact_started_at=last + config.period,
    )
    incident, _proposal = engine.declare_or_propose(rule, firing, subject, now=now)
    if incident is not None:
        heartbeat.incident = incident
        heartbeat.save(update_fields=["incident"])


def heartbeat_rows() -> list[dict[str, Any]]:
    """Every configured heartbeat with its state, for the API and pages."""
    policies = load_trigger_policies()
    rows = {h.name: h for h in Heartbeat.objects.select_related("incident")}
    found = []
    for config in policies.active_heartbeats():
        row = rows.get(config.name)
        found.append({"config": config, "row": row})
    return found

"""Alerts: the downtime and data-loss triggers, and alert activity on the
incident's timeline.

`on_alerts_received` runs inside the ingestion transaction, with the group's
row locked (PostgreSQL) or the whole database serialised (SQLite), once per
group per request. It must stay cheap: a repeat notification (nothing new,
nothing resolved) returns before any query, and a storm of 10,000 alerts in
one group opens exactly one incident, because the first firing sets
`group.incident` and every later request sees it under the same lock.

Policies that wait (`firing_for` above zero) and the resolution-time
policy's `alerts` threshold are checked by `check_alerts`, a periodic job.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.alerts.merging import follow_merge
from hotwash.alerts.models import Alert, AlertGroup, AlertStatus
from hotwash.incidents import services as incidents
from hotwash.incidents.models import OPEN_STATUSES, Incident, Status, TimelineEvent, TimelineKind
from hotwash.triggers import engine
from hotwash.triggers.durations import exact_duration
from hotwash.triggers.labels import label_value
from hotwash.triggers.models import Action, PolicyFiring, ProposalKind, Trigger
from hotwash.triggers.policy import (
    AlertPolicy,
    DowntimePolicy,
    ResolutionTimePolicy,
    TriggerPolicies,
    load_trigger_policies,
    render_title,
    severity_for,
)

# Alert activity on one incident's timeline: one entry per alert event, at
# most this many per request (the rest are summed up in one entry) and per
# incident (a storm must not bury the timeline; the alert group keeps all).
ENTRIES_PER_REQUEST = 10
ENTRIES_PER_INCIDENT = 200
SERVICES_MAX = 10
# Groups one periodic run looks at, at most; the next run takes the rest.
GROUPS_PER_CHECK = 5_000


# --- small helpers ------------------------------------------------------------


def labels_of(group: AlertGroup, alert: Alert) -> dict[str, Any]:
    return {**(group.labels or {}), **(alert.labels or {})}


def started(alert: Alert) -> datetime:
    return alert.starts_at or alert.first_received_at


def episode_key(group: AlertGroup) -> str:
    """One key per group and firing episode: a group that resolves and fires
    again after the grouping window is a new episode (the alerts app resets
    first_fired_at and clears the incident), which may fire again."""
    return f"group:{group.pk}:{int(group.first_fired_at.timestamp())}"


def threshold_of(policy: AlertPolicy) -> timedelta:
    return policy.firing_for if isinstance(policy, DowntimePolicy) else timedelta(0)


def _alertname(group: AlertGroup, alert: Alert) -> str:
    return str(labels_of(group, alert).get("alertname") or group.group_key)


def _services(policy: AlertPolicy, group: AlertGroup, alerts: Sequence[Alert]) -> list[str]:
    found: list[str] = []
    for alert in alerts:
        labels = labels_of(group, alert)
        for name in policy.service_labels:
            value = str(labels.get(name) or "").strip()[:100]
            if value:
                if value not in found:
                    found.append(value)
                break
        if len(found) >= SERVICES_MAX:
            break
    return found


def _what(group: AlertGroup, alert: Alert, services: list[str]) -> str:
    name = _alertname(group, alert)
    summary = str((alert.annotations or {}).get("summary") or "").strip()
    if summary:
        return f"{name}: {summary}"
    if services:
        return _("%(alert)s firing for %(service)s") % {"alert": name, "service": services[0]}
    return name


def subject_for(policy: AlertPolicy, group: AlertGroup, alerts: Sequence[Alert]) -> engine.Subject:
    """The incident `policy` opens for `alerts` (oldest first): its title,
    severity (the most severe the labels give), services and summary."""
    first = alerts[0]
    services = _services(policy, group, alerts)
    level = min(severity_for(policy.severity, labels_of(group, a)) for a in alerts[:100])
    with engine.site_language():
        if policy.title:
            values = {**(first.annotations or {}), **labels_of(group, first)}
            values.setdefault("service", services[0] if services else "")
            values["count"] = str(len(alerts))
            title = render_title(policy.title, values)
        elif policy.trigger == Trigger.DATA_LOSS:
            title = _("Data loss: %(what)s") % {"what": _what(group, first, services)}
        else:
            title = _what(group, first, services)
        lines = [
            ngettext(
                "Opened by the trigger policy %(policy)s: %(count)d alert firing since %(start)s.",
                "Opened by the trigger policy %(policy)s: %(count)d alerts firing since %(start)s.",
                len(alerts),
            )
            % {
                "policy": policy.id,
                "count": len(alerts),
                "start": min(started(a) for a in alerts).strftime("%Y-%m-%d %H:%M:%S %Z"),
            }
        ]
    description = str((first.annotations or {}).get("description") or "").strip()
    if description:
        lines.append(description)
    if first.generator_url:
        lines.append(first.generator_url)
    return engine.Subject(
        title=title or group.group_key,
        severity=level,
        services=services,
        private=policy.private,
        summary="\n\n".join(lines),
        impact_started_at=min(started(a) for a in alerts),
    )


def _matching(
    policy: AlertPolicy, group: AlertGroup, alerts: Iterable[Alert], now: datetime
) -> list[Alert]:
    """The alerts `policy` fires for now: matching labels, firing for long
    enough, oldest first."""
    threshold = threshold_of(policy)
    found = [
        alert
        for alert in alerts
        if alert.status == AlertStatus.FIRING
        and now - started(alert) >= threshold
        and policy.selector.matches(labels_of(group, alert))
    ]
    found.sort(key=lambda alert: (started(alert), alert.pk))
    return found


def _not_heartbeats(
    policies: TriggerPolicies, group: AlertGroup, alerts: Iterable[Alert]
) -> list[Alert]:
    """Alerts that stand for a heartbeat (Alertmanager's always-firing
    Watchdog) mean "monitoring works", never "open an incident"."""
    return [a for a in alerts if policies.heartbeat_for_alert(labels_of(group, a)) is None]


# --- evaluation ---------------------------------------------------------------


def evaluate(
    group: AlertGroup,
    alerts: Sequence[Alert],
    *,
    now: datetime,
    policies: TriggerPolicies,
    incident: Incident | None = None,
) -> Incident | None:
    """Fire every alert policy that matches `alerts` of `group` (locked by
    the caller). Returns the group's incident, if it has or now got one."""
    for policy in policies.alert_policies:
        matched = _matching(policy, group, alerts, now)
        if not matched:
            continue
        if group.incident_id is None:
            incident = _fire_for_group(policy, group, matched, now=now) or incident
        else:
            if incident is None:
                incident = Incident.objects.get(pk=group.incident_id)
            _fire_on_incident(policy, group, matched, incident, now=now)
    return incident


def _details(policy: AlertPolicy, group: AlertGroup) -> dict[str, Any]:
    return {
        "group": group.pk,
        "group_key": group.group_key,
        "labels": group.labels or {},
        "threshold": int(threshold_of(policy).total_seconds()),
    }


def _fire_for_group(
    policy: AlertPolicy, group: AlertGroup, matched: list[Alert], *, now: datetime
) -> Incident | None:
    firing = engine.claim(
        policy,
        key=episode_key(group),
        action=Action.DECLARED,
        now=now,
        alerts=matched,
        details=_details(policy, group),
    )
    if firing is None:
        return None
    subject = subject_for(policy, group, matched)
    incident, _proposal = engine.declare_or_propose(policy, firing, subject, now=now)
    if incident is not None:
        link_group(group, incident)
    return incident


def link_group(group: AlertGroup, incident: Incident) -> None:
    group.incident = incident
    group.save(update_fields=["incident"])


def _fire_on_incident(
    policy: AlertPolicy,
    group: AlertGroup,
    matched: list[Alert],
    incident: Incident,
    *,
    now: datetime,
) -> None:
    """An alert policy matched a group that already has its incident: no
    second incident. The firing is recorded on it and, if the policy says
    the incident is worse than its severity, the severity is raised
    (declare) or that is proposed (propose)."""
    firing = engine.claim(
        policy,
        key=episode_key(group),
        action=Action.JOINED,
        now=now,
        incident=incident,
        alerts=matched,
        details=_details(policy, group),
    )
    if firing is None:
        return
    level = min(severity_for(policy.severity, labels_of(group, a)) for a in matched[:100])
    if policy.mode == "notify" or level >= incident.severity:
        firing.action = Action.NOTIFIED if policy.mode == "notify" else Action.JOINED
        engine.finish(firing, now=now)
        return
    firing.details.update({"from": incident.severity, "to": level})
    if policy.mode == "declare":
        incidents.update_incident(incident, actor=None, changes={"severity": level})
        firing.action = Action.ESCALATED
        engine.finish(firing, now=now)
        return
    proposal = engine.propose(
        firing,
        kind=ProposalKind.ESCALATE,
        title=incident.title,
        details={"severity": level},
        incident=incident,
        now=now,
    )
    firing.action = Action.PROPOSED
    engine.finish(firing, now=now, proposal=proposal)


# --- the receiver -------------------------------------------------------------


def on_alerts_received(
    sender: Any,
    *,
    group: AlertGroup,
    new_alerts: Sequence[Alert] = (),
    refired_alerts: Sequence[Alert] = (),
    resolved_alerts: Sequence[Alert] = (),
    now: datetime,
    **kwargs: Any,
) -> None:
    """Connected to hotwash.alerts.signals.alerts_received."""
    if not (new_alerts or refired_alerts or resolved_alerts):
        return  # a repeat notification: nothing to decide, nothing to write
    policies = load_trigger_policies()
    incident: Incident | None = None
    firing = [a for a in (*new_alerts, *refired_alerts) if a.status == AlertStatus.FIRING]
    if firing:
        firing = _not_heartbeats(policies, group, firing)
        if firing and policies.alert_policies:
            incident = evaluate(group, firing, now=now, policies=policies)
    if group.incident_id is None:
        return
    if incident is None or incident.pk != group.incident_id:
        incident = Incident.objects.get(pk=group.incident_id)
    incident = follow_merge(group, incident)
    write_alert_entries(incident, group, new_alerts, refired_alerts, resolved_alerts, now=now)
    if resolved_alerts and group.status == AlertStatus.RESOLVED:
        group_resolved(incident, group, now=now, policies=policies)


# --- the timeline -------------------------------------------------------------


def _alert_data(event: str, alert: Alert, group: AlertGroup) -> dict[str, Any]:
    labels = labels_of(group, alert)
    annotations = alert.annotations or {}
    return {
        "event": event,
        "alert": alert.pk,
        "group": group.pk,
        "alertname": _alertname(group, alert),
        "labels": {k: str(v) for k, v in sorted(labels.items()) if k != "alertname"},
        "summary": str(annotations.get("summary") or annotations.get("description") or "")[:500],
        "url": alert.generator_url or "",
    }


def _when(event: str, alert: Alert, now: datetime) -> datetime:
    if event == "resolved":
        return min(alert.ends_at or now, now)
    return min(started(alert), now)


def write_alert_entries(
    incident: Incident,
    group: AlertGroup,
    new_alerts: Sequence[Alert],
    refired_alerts: Sequence[Alert],
    resolved_alerts: Sequence[Alert],
    *,
    now: datetime,
) -> None:
    """One timeline entry per alert event (a repeat notification is not
    one), within the limits above."""
    events = [
        *(("firing", a) for a in new_alerts if a.status == AlertStatus.FIRING),
        *(("refired", a) for a in refired_alerts),
        *(("resolved", a) for a in resolved_alerts),
    ]
    if not events:
        return
    written = TimelineEvent.objects.filter(incident=incident, kind=TimelineKind.ALERT)
    room = ENTRIES_PER_INCIDENT - written.values("pk")[:ENTRIES_PER_INCIDENT].count()
    if room <= 0:
        return
    one_by_one = events[: min(ENTRIES_PER_REQUEST, room - 1)]
    for event, alert in one_by_one:
        data = _alert_data(event, alert, group)
        incidents.record_system_event(
            incident,
            kind=TimelineKind.ALERT,
            data=data,
            body=f"{event}: {data['alertname']}",
            occurred_at=_when(event, alert, now),
            now=now,
        )
    rest = events[len(one_by_one) :]
    if rest:
        counts = {kind: sum(1 for e, _a in rest if e == kind) for kind in ("firing", "refired")}
        names = sorted({_alertname(group, a) for _e, a in rest})
        incidents.record_system_event(
            incident,
            kind=TimelineKind.ALERT,
            data={
                "event": "more",
                "group": group.pk,
                "firing": counts["firing"] + counts["refired"],
                "resolved": sum(1 for e, _a in rest if e == "resolved"),
                "alertnames": names[:5],
                "muted": room - len(one_by_one) <= 1,
            },
            body=f"{len(rest)} more alert events",
            now=now,
        )


def group_resolved(
    incident: Incident, group: AlertGroup, *, now: datetime, policies: TriggerPolicies
) -> None:
    """Every alert of the group has resolved: say so, and move the incident
    on only if the policy that opened it asks for that (by default it does
    not: alerts going quiet is not the same as users being fine)."""
    target = _on_resolved(incident, policies)
    incidents.record_system_event(
        incident,
        kind=TimelineKind.ALERT,
        data={
            "event": "group_resolved",
            "group": group.pk,
            "group_key": group.group_key,
            "labels": {k: str(v) for k, v in sorted((group.labels or {}).items())},
            "then": target,
        },
        body=f"alert group {group.group_key} resolved",
        occurred_at=min(group.resolved_at or now, now),
        now=now,
    )
    if target == "nothing" or incident.status not in OPEN_STATUSES:
        return
    if target == Status.MONITORING and incident.status == Status.MONITORING:
        return
    if AlertGroup.objects.filter(incident=incident, status=AlertStatus.FIRING).exists():
        return  # another of its groups still fires
    incidents.update_incident(incident, actor=None, changes={"status": target})


def _on_resolved(incident: Incident, policies: TriggerPolicies) -> str:
    opened = (
        PolicyFiring.objects.filter(
            incident=incident,
            action=Action.DECLARED,
            trigger__in=(Trigger.DOWNTIME, Trigger.DATA_LOSS),
        )
        .order_by("fired_at", "id")
        .values_list("policy_id", flat=True)
        .first()
    )
    policy = policies.policy(opened) if opened else None
    return str(getattr(policy, "on_alerts_resolved", "nothing"))


# --- the periodic check -------------------------------------------------------


def _label_filtered(alerts: QuerySet[Alert], policy: AlertPolicy) -> QuerySet[Alert]:
    """Narrow `alerts` by the part of the selector the database can check
    (plain values and lists); regular expressions are checked afterwards,
    in Python. Label names go through KeyTextTransform, never into a lookup
    path, so a label called "contains" or "a__b" is just a label."""
    for position, (name, value) in enumerate(policy.match.items()):
        if isinstance(value, str | list):
            alias = f"label_{position}"
            alerts = alerts.alias(**{alias: label_value(name)})
            lookup = alias if isinstance(value, str) else f"{alias}__in"
            alerts = alerts.filter(**{lookup: value})
    return alerts


def _unclaimed(policy_id: str, groups: Iterable[tuple[int, datetime]]) -> set[int]:
    """The groups (id, first fired) `policy_id` has not fired for in their
    current episode."""
    keys = {f"group:{pk}:{int(first.timestamp())}": pk for pk, first in groups}
    if not keys:
        return set()
    done = PolicyFiring.objects.filter(policy_id=policy_id, key__in=list(keys)).values_list(
        "key", flat=True
    )
    return set(keys.values()) - {keys[key] for key in done}


def _waiting_groups(policies: TriggerPolicies, now: datetime) -> set[int]:
    """Groups without an incident that some policy may now fire for (and has
    not yet, in this episode)."""
    found: set[int] = set()
    for policy in policies.alert_policies:
        alerts = Alert.objects.filter(
            status=AlertStatus.FIRING,
            group__status=AlertStatus.FIRING,
            group__incident__isnull=True,
            starts_at__lte=now - threshold_of(policy),
        )
        candidates = (
            _label_filtered(alerts, policy)
            .values_list("group_id", "group__first_fired_at")
            .distinct()[:GROUPS_PER_CHECK]
        )
        found |= _unclaimed(policy.id, candidates)
    rule = _resolution_policy(policies)
    if rule is not None and rule.alerts is not None:
        long_firing = AlertGroup.objects.filter(
            status=AlertStatus.FIRING, incident__isnull=True, first_fired_at__lte=now - rule.alerts
        ).values_list("pk", "first_fired_at")[:GROUPS_PER_CHECK]
        found |= _unclaimed(rule.id, long_firing)
    return found


def _resolution_policy(policies: TriggerPolicies) -> ResolutionTimePolicy | None:
    rule = policies.first(Trigger.RESOLUTION_TIME)
    return rule if isinstance(rule, ResolutionTimePolicy) else None


def check_alerts(now: datetime) -> int:
    """Fire the policies whose wait is over. Idempotent and safe to run in
    several workers at once: each group is locked, and each firing claimed.
    Returns how many groups were looked at."""
    policies = load_trigger_policies()
    groups = sorted(_waiting_groups(policies, now))
    for pk in groups:
        _check_group(pk, now=now, policies=policies)
    return len(groups)


def _check_group(pk: int, *, now: datetime, policies: TriggerPolicies) -> None:
    with transaction.atomic():
        group = AlertGroup.objects.select_for_update().filter(pk=pk).first()
        if group is None or group.incident_id is not None or group.status != AlertStatus.FIRING:
            return
        alerts = _not_heartbeats(
            policies, group, group.alerts.filter(status=AlertStatus.FIRING).iterator(2000)
        )
        if not alerts:
            return
        evaluate(group, alerts, now=now, policies=policies)
        rule = _resolution_policy(policies)
        if (
            group.incident_id is None
            and rule is not None
            and rule.alerts is not None
            and now - group.first_fired_at >= rule.alerts
        ):
            _long_firing(rule, group, alerts, now=now)


def _long_firing(
    rule: ResolutionTimePolicy, group: AlertGroup, alerts: list[Alert], *, now: datetime
) -> None:
    """An alert group has been firing past the resolution-time threshold
    and nobody opened an incident: open one (or propose, or notify)."""
    alerts = sorted(alerts, key=lambda alert: (started(alert), alert.pk))
    assert rule.alerts is not None
    firing = engine.claim(
        rule,
        key=episode_key(group),
        action=Action.DECLARED,
        now=now,
        alerts=alerts,
        details={
            "group": group.pk,
            "group_key": group.group_key,
            "labels": group.labels or {},
            "threshold": int(rule.alerts.total_seconds()),
        },
    )
    if firing is None:
        return
    first = alerts[0]
    labels = labels_of(group, first)
    service = str(labels.get("service") or "").strip()[:100]
    with engine.site_language():
        title = _("Alert firing for more than %(duration)s: %(alert)s") % {
            "duration": exact_duration(rule.alerts),
            "alert": _alertname(group, first),
        }
        summary = _(
            "Opened by the trigger policy %(policy)s: this alert group has been firing since "
            "%(start)s and no incident was open for it."
        ) % {"policy": rule.id, "start": group.first_fired_at.strftime("%Y-%m-%d %H:%M:%S %Z")}
    subject = engine.Subject(
        title=title,
        severity=rule.alert_severity,
        services=[service] if service else [],
        summary=summary,
        impact_started_at=min(started(a) for a in alerts),
    )
    incident, _proposal = engine.declare_or_propose(rule, firing, subject, now=now)
    if incident is not None:
        link_group(group, incident)

"""Change events: deploys, rollbacks and traffic reroutes.

Every change is written on the timeline of the open incidents of its service
(the responders see "Rollback of shop to 4.1" beside their notes). A
rollback or a reroute is an on-call intervention: the policy for it declares
an incident, proposes one, or notifies. When an incident of that service is
already open, the intervention is part of it: it is linked to that incident
instead of opening a second one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.core.audit import record_audit
from hotwash.core.errors import InvalidInput, PermissionDenied
from hotwash.core.text import clean_choice, clean_text
from hotwash.incidents import services as incidents
from hotwash.incidents.display import person_name
from hotwash.incidents.models import OPEN_STATUSES, DetectionSource, Incident, TimelineKind
from hotwash.incidents.queries import visible_incidents
from hotwash.incidents.services import Actor
from hotwash.triggers import engine
from hotwash.triggers.models import (
    Action,
    ChangeEvent,
    ChangeKind,
    PolicyFiring,
    Proposal,
    Trigger,
)
from hotwash.triggers.policy import InterventionPolicy, load_trigger_policies, render_title

DESCRIPTION_MAX = 2000
VERSION_MAX = 100
URL_MAX = 500
# Open incidents of one service a change is written on, at most.
LINKED_MAX = 10


@dataclass
class ChangeOutcome:
    change: ChangeEvent
    firings: list[PolicyFiring] = field(default_factory=list)
    incident: Incident | None = None
    proposal: Proposal | None = None
    written_on: list[Incident] = field(default_factory=list)


def clean_kind(value: object) -> str:
    return clean_choice(
        value,
        ChangeKind,
        field="kind",
        message=_("Unknown change kind %(value)s: use deploy, rollback or reroute."),
    )


def clean_url(value: object) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(text) > URL_MAX:
        raise InvalidInput(
            _("Give a link that starts with http:// or https:// (at most %(limit)d characters).")
            % {"limit": URL_MAX},
            field="url",
        )
    return text


def change_data(change: ChangeEvent) -> dict[str, Any]:
    """A change as a timeline entry's data (rendered per reader)."""
    return {
        "change": change.pk,
        "kind": change.kind,
        "service": change.service,
        "version": change.version,
        "description": change.description,
        "url": change.url,
        "by": change.recorded_by.get_username() if change.recorded_by else None,
        "by_name": person_name(change.recorded_by) if change.recorded_by else None,
    }


def write_on(incident: Incident, change: ChangeEvent, *, actor: Actor, now: datetime) -> None:
    incidents.record_system_event(
        incident,
        kind=TimelineKind.CHANGE,
        actor=actor,
        now=now,
        occurred_at=change.occurred_at,
        body=f"{change.kind} {change.service} {change.version}".strip(),
        data=change_data(change),
        key_moment=change.kind != ChangeKind.DEPLOY,
    )


def record_change(
    *,
    actor: Actor,
    service: object,
    kind: object,
    version: object = "",
    description: object = "",
    url: object = "",
    occurred_at: datetime | None = None,
) -> ChangeOutcome:
    """Record a deploy, rollback or reroute of `service`, and let the
    on-call intervention policies act on it."""
    if actor is not None and not can_respond(actor):
        raise PermissionDenied(
            _("Only responders and admins can record changes; use a responder's API token.")
        )
    now = timezone.now()
    names = incidents.clean_services([service or ""])
    if not names:
        raise InvalidInput(_("Name the service that changed."), field="service")
    kind_value = clean_kind(kind)
    version_text = clean_text(version, field="version", limit=VERSION_MAX)
    description_text = clean_text(description, field="description", limit=DESCRIPTION_MAX)
    link = clean_url(url)
    when = incidents.clean_past_time(occurred_at, "at", now=now) or now
    person = actor if actor is not None and actor.is_authenticated else None

    with transaction.atomic():
        change = ChangeEvent.objects.create(
            service=names[0],
            kind=kind_value,
            version=version_text,
            description=description_text,
            url=link,
            occurred_at=when,
            recorded_at=now,
            recorded_by=person,
        )
        record_audit(
            actor=actor,
            action="change.recorded",
            obj=change,
            changes={"service": change.service, "kind": change.kind, "version": change.version},
        )
        outcome = ChangeOutcome(change=change)
        open_incidents = _open_incidents(actor, change.service)
        for incident in open_incidents:
            write_on(incident, change, actor=actor, now=now)
        outcome.written_on = open_incidents
        for policy in load_trigger_policies().enabled(Trigger.ON_CALL_INTERVENTION):
            if _applies(policy, change):
                _fire(policy, change, outcome, open_incidents, actor=actor, now=now)
    return outcome


def _open_incidents(actor: Actor, service: str) -> list[Incident]:
    """Open incidents of `service` the person recording the change can see
    (a private incident's existence stays private)."""
    incidents_qs = (
        visible_incidents(actor) if actor is not None else Incident.objects.all()
    ).filter(status__in=OPEN_STATUSES, services__name=service)
    return list(incidents_qs.distinct().order_by("-declared_at", "-id")[:LINKED_MAX])


def _applies(policy: InterventionPolicy, change: ChangeEvent) -> bool:
    return change.kind in policy.kinds and (
        not policy.services or change.service in policy.services
    )


def _fire(
    policy: InterventionPolicy,
    change: ChangeEvent,
    outcome: ChangeOutcome,
    open_incidents: list[Incident],
    *,
    actor: Actor,
    now: datetime,
) -> None:
    details = {"change_kind": change.kind, "service": change.service, "version": change.version}
    existing = outcome.incident or (open_incidents[0] if open_incidents else None)
    firing = engine.claim(
        policy,
        key=f"change:{change.pk}",
        action=Action.JOINED if existing else Action.DECLARED,
        now=now,
        incident=existing,
        change=change,
        details=details,
    )
    if firing is None:
        return
    outcome.firings.append(firing)
    if existing is not None:
        # Part of an incident already open: no second incident.
        firing.action = Action.NOTIFIED if policy.mode == "notify" else Action.JOINED
        engine.finish(firing, now=now)
        _link(change, existing)
        outcome.incident = existing
        return
    incident, proposal = engine.declare_or_propose(
        policy, firing, subject_for(policy, change), now=now
    )
    outcome.proposal = outcome.proposal or proposal
    if incident is not None:
        _link(change, incident)
        write_on(incident, change, actor=actor, now=now)
        outcome.incident = incident


def _link(change: ChangeEvent, incident: Incident) -> None:
    if change.incident_id is None:
        change.incident = incident
        change.save(update_fields=["incident"])


def subject_for(policy: InterventionPolicy, change: ChangeEvent) -> engine.Subject:
    values = {
        "service": change.service,
        "version": change.version,
        "kind": change.kind,
        "description": change.description,
    }
    with engine.site_language():
        if policy.title:
            title = render_title(policy.title, values)
        elif change.kind == ChangeKind.ROLLBACK:
            title = _("Rollback of %(service)s") % values
        elif change.kind == ChangeKind.REROUTE:
            title = _("Traffic rerouted for %(service)s") % values
        else:
            title = _("Deploy of %(service)s") % values
        by = person_name(change.recorded_by) if change.recorded_by else "Hotwash"
        lines = [
            _(
                "Opened by the trigger policy %(policy)s: an on-call intervention "
                "(%(kind)s) was recorded by %(by)s."
            )
            % {"policy": policy.id, "kind": ChangeKind(change.kind).label, "by": by}
        ]
    if change.description:
        lines.append(change.description)
    if change.url:
        lines.append(change.url)
    return engine.Subject(
        title=title,
        severity=policy.severity,
        services=[change.service],
        private=policy.private,
        summary="\n\n".join(lines),
        detection_source=DetectionSource.PERSON,
        impact_started_at=None,
    )

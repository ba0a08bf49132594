"""Change events: deploys, rollbacks and traffic reroutes.

Every change is written on the timeline of every open incident of its
service, private ones included (the responders see "Rollback of shop to 4.1"
beside their notes). A rollback or a reroute is an on-call intervention: the
policy for it declares an incident, proposes one, or notifies. When incidents
of that service are open, the intervention is part of each of them (a firing
on each) instead of opening another.

What the person recording the change is told never depends on incidents
they cannot see: the outcome names only the incidents (and firings) visible
to them, and when none of the open ones is, the policy acts as it does when
nothing is open (it proposes or opens an incident), so a private incident's
existence, reference and number stay private.
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
from hotwash.incidents.queries import visible_incident_ids
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


@dataclass
class ChangeOutcome:
    """What the person who recorded the change may be told: only incidents
    and firings they can see."""

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
        open_incidents = _open_incidents(change.service)
        visible = _visible_to(actor, open_incidents)
        for incident in open_incidents:
            # Written by someone, an entry makes its author a participant,
            # who may then see the incident: on one the recorder cannot
            # see, Hotwash writes it (the entry still says who recorded it).
            author = actor if incident.pk in visible else None
            write_on(incident, change, actor=author, now=now)
        outcome.written_on = [i for i in open_incidents if i.pk in visible]
        for policy in load_trigger_policies().enabled(Trigger.ON_CALL_INTERVENTION):
            if _applies(policy, change):
                _fire(policy, change, outcome, open_incidents, visible, actor=actor, now=now)
    return outcome


def _open_incidents(service: str) -> list[Incident]:
    """Every open incident of `service`, newest first, private ones
    included: their responders need the change on their timeline too."""
    found = Incident.objects.filter(status__in=OPEN_STATUSES, services__name=service)
    return list(found.distinct().order_by("-declared_at", "-id"))


def _visible_to(actor: Actor, found: list[Incident]) -> set[int]:
    if actor is None:  # Hotwash itself, or a command run on the server
        return {incident.pk for incident in found}
    return visible_incident_ids(actor, [incident.pk for incident in found])


def _applies(policy: InterventionPolicy, change: ChangeEvent) -> bool:
    return change.kind in policy.kinds and (
        not policy.services or change.service in policy.services
    )


def _fire(
    policy: InterventionPolicy,
    change: ChangeEvent,
    outcome: ChangeOutcome,
    open_incidents: list[Incident],
    visible: set[int],
    *,
    actor: Actor,
    now: datetime,
) -> None:
    """Join every open incident of the service (and one an earlier policy
    opened for this change); if the recorder can see none of them, act as
    when nothing is open."""
    details = {"change_kind": change.kind, "service": change.service, "version": change.version}
    joined = list(open_incidents)
    if outcome.incident is not None and outcome.incident not in joined:
        joined.append(outcome.incident)  # opened just now for this change
        visible = visible | {outcome.incident.pk}
    for incident in joined:
        firing = _join(policy, change, incident, details, now=now)
        if firing is not None and incident.pk in visible:
            outcome.firings.append(firing)
    shown = [incident for incident in joined if incident.pk in visible]
    if shown:
        # Part of the incidents already open: no other incident.
        outcome.incident = outcome.incident or shown[0]
        _link(change, outcome.incident)
        return
    firing = engine.claim(
        policy,
        key=f"change:{change.pk}",
        action=Action.DECLARED,
        now=now,
        change=change,
        details=details,
    )
    if firing is None:
        return
    outcome.firings.append(firing)
    opened, proposal = engine.declare_or_propose(
        policy, firing, subject_for(policy, change), now=now
    )
    outcome.proposal = outcome.proposal or proposal
    if opened is not None:
        _link(change, opened)
        write_on(opened, change, actor=actor, now=now)
        outcome.incident = opened


def _join(
    policy: InterventionPolicy,
    change: ChangeEvent,
    incident: Incident,
    details: dict[str, Any],
    *,
    now: datetime,
) -> PolicyFiring | None:
    """The intervention is part of `incident`: a firing on its timeline."""
    firing = engine.claim(
        policy,
        key=f"change:{change.pk}:incident:{incident.pk}",
        action=Action.JOINED,
        now=now,
        incident=incident,
        change=change,
        details=details,
    )
    if firing is None:
        return None
    firing.action = Action.NOTIFIED if policy.mode == "notify" else Action.JOINED
    return engine.finish(firing, now=now)


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
        detection_source=DetectionSource.STAFF,
        impact_started_at=None,
    )

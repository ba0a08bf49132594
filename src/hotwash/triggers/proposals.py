"""Proposals: what a policy in "propose" mode asks the on-call person.

One click accepts or dismisses; either answer is recorded (who, when) in
the audit log and, when the proposal concerns an incident, on its timeline.
Accepting does what the proposal says: declare the incident (linked to its
alert group, change or heartbeat), raise an incident's severity, or create
the "add detection" action item.

Proposals are for responders. One about an incident is visible to those
who can see that incident (a private incident stays private).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import AnyUser, can_respond
from hotwash.actions.services import create_action_item
from hotwash.alerts.models import AlertGroup
from hotwash.core.audit import record_audit
from hotwash.core.errors import Conflict, NotFound, PermissionDenied
from hotwash.core.text import clean_text
from hotwash.incidents import services as incidents
from hotwash.incidents.display import person_name
from hotwash.incidents.models import Incident, TimelineKind
from hotwash.incidents.queries import can_view, with_visible_incident
from hotwash.triggers import engine
from hotwash.triggers.changes import write_on
from hotwash.triggers.models import (
    WITHDRAWN_DETECTED_BY_ALERT,
    ChangeEvent,
    Heartbeat,
    HeartbeatStatus,
    Proposal,
    ProposalKind,
    ProposalStatus,
    add_detection_description,
    add_detection_title,
    in_every_language,
)

REASON_MAX = 1000


def _require_responder(user: AnyUser) -> User:
    if not isinstance(user, User) or not can_respond(user):
        raise PermissionDenied(
            _("Only responders and admins can see and answer the proposals of trigger policies.")
        )
    return user


def proposals_for(user: AnyUser, status: str | None = ProposalStatus.OPEN) -> QuerySet[Proposal]:
    """Proposals `user` may see, newest first."""
    if not isinstance(user, User) or not can_respond(user):
        return Proposal.objects.none()
    found = Proposal.objects.select_related("firing", "incident", "decided_by").filter(
        Q(incident__isnull=True) | with_visible_incident(user)
    )
    if status:
        found = found.filter(status=status)
    return found.order_by("-created_at", "-id")


def get_proposal(user: AnyUser, proposal_id: int) -> Proposal:
    _require_responder(user)
    proposal = (
        Proposal.objects.select_related("firing", "incident", "decided_by")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or (
        proposal.incident is not None and not can_view(user, proposal.incident)
    ):
        raise NotFound(_("No proposal %(id)s.") % {"id": proposal_id})
    return proposal


def _already(proposal: Proposal) -> Conflict:
    who = person_name(proposal.decided_by) if proposal.decided_by else "Hotwash"
    when = timezone.localtime(proposal.decided_at).strftime("%Y-%m-%d %H:%M %Z")
    if proposal.status == ProposalStatus.ACCEPTED:
        message = _("%(who)s already accepted this proposal, at %(when)s.")
    else:
        message = _("%(who)s already dismissed this proposal, at %(when)s.")
    return Conflict(message % {"who": who, "when": when})


def _lock(proposal: Proposal) -> Proposal:
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not locked.is_open:
        locked.decided_by = (
            User.objects.filter(pk=locked.decided_by_id).first() if locked.decided_by_id else None
        )
        raise _already(locked)
    return locked


def accept(proposal: Proposal, *, actor: AnyUser) -> Proposal:
    """Do what the proposal says, and record who accepted it and when."""
    user = _require_responder(actor)
    now = timezone.now()
    with transaction.atomic():
        proposal = _lock(proposal)
        if proposal.kind == ProposalKind.DECLARE:
            _accept_declare(proposal, user, now)
        elif proposal.kind == ProposalKind.ESCALATE:
            _accept_escalate(proposal, user)
        else:
            _accept_add_detection(proposal, user, now)
        _decide(proposal, user, ProposalStatus.ACCEPTED, now, reason="")
    return proposal


def dismiss(proposal: Proposal, *, actor: AnyUser, reason: object = "") -> Proposal:
    """Say no; recorded like a yes."""
    user = _require_responder(actor)
    text = clean_text(reason, field="reason", limit=REASON_MAX)
    now = timezone.now()
    with transaction.atomic():
        proposal = _lock(proposal)
        _decide(proposal, user, ProposalStatus.DISMISSED, now, reason=text)
    return proposal


def withdraw_detection_proposals(incident: Incident, *, now: datetime) -> int:
    """Detection recorded as "alert" after the declaration: the monitoring
    did see the incident, so an open "Add detection" proposal no longer
    stands. Hotwash withdraws it (dismissed, by nobody, with why), on the
    timeline and in the audit log. Call in the change's transaction; the
    number withdrawn."""
    found = Proposal.objects.select_for_update().filter(
        incident=incident, kind=ProposalKind.ADD_DETECTION, status=ProposalStatus.OPEN
    )
    withdrawn = 0
    for proposal in found.select_related("firing", "incident"):
        proposal.result = {**proposal.result, "withdrawn": WITHDRAWN_DETECTED_BY_ALERT}
        _decide(proposal, None, ProposalStatus.DISMISSED, now, reason="")
        withdrawn += 1
    return withdrawn


def _decide(
    proposal: Proposal, user: User | None, status: str, now: datetime, *, reason: str
) -> None:
    """Record the answer; `user` None: Hotwash withdrew it."""
    proposal.status = status
    proposal.decided_at = now
    proposal.decided_by = user
    if reason:
        proposal.result = {**proposal.result, "reason": reason}
    proposal.save()
    record_audit(
        actor=user,
        action=f"proposal.{status}",
        obj=proposal,
        changes={
            "kind": proposal.kind,
            "policy": proposal.firing.policy_id,
            "incident": proposal.incident_id,
            "result": proposal.result,
        },
    )
    if proposal.incident is not None:
        incidents.record_system_event(
            proposal.incident,
            kind=TimelineKind.TRIGGER,
            actor=user,
            now=now,
            body=f"proposal {status}: {proposal.title}",
            data={
                "event": f"proposal_{status}",
                "proposal": proposal.pk,
                "proposal_kind": proposal.kind,
                "proposal_title": proposal.title,
                "proposal_subject": proposal.details.get("subject"),
                "policy": proposal.firing.policy_id,
                "trigger": proposal.firing.trigger,
                "reason": reason,
                "result": proposal.result,
            },
        )


# --- accepting, by kind -------------------------------------------------------


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _accept_declare(proposal: Proposal, user: User, now: datetime) -> None:
    firing = proposal.firing
    group_id = firing.details.get("group")
    group = (
        AlertGroup.objects.select_for_update().filter(pk=group_id).first()
        if group_id is not None
        else None
    )
    change = (
        ChangeEvent.objects.select_for_update().filter(pk=firing.change_id).first()
        if firing.change_id
        else None
    )
    # Opened meanwhile (another policy, a person linking the group): join it.
    existing = (group.incident if group is not None else None) or (
        change.incident if change is not None else None
    )
    if existing is not None and not can_view(user, existing):
        # Never a second incident for the same alerts; never a private
        # incident's reference to someone who cannot see it either.
        raise Conflict(
            _("An incident you cannot see is already open for this; ask an admin to add you.")
        )
    if existing is not None:
        incident = existing
        proposal.result = {"incident": incident.ref, "existing": True}
    else:
        details = proposal.details
        with engine.declaring_by_trigger():
            incident = incidents.declare_incident(
                actor=user,
                title=proposal.title,
                severity=details.get("severity"),
                services=details.get("services") or [],
                private=bool(details.get("private")),
                summary=str(details.get("summary") or ""),
                detection_source=details.get("detection_source"),
                impact_started_at=_earlier(_time(details.get("impact_started_at")), now),
            )
        proposal.result = {"incident": incident.ref}
        if group is not None and group.incident_id is None:
            group.incident = incident
            group.save(update_fields=["incident"])
        if change is not None:
            if change.incident_id is None:
                change.incident = incident
                change.save(update_fields=["incident"])
            write_on(incident, change, actor=user, now=now)
        _link_heartbeat(firing.heartbeat_id, incident)
    proposal.incident = incident
    if firing.incident_id is None:
        firing.incident = incident
        firing.save(update_fields=["incident"])


def _earlier(value: datetime | None, now: datetime) -> datetime | None:
    return min(value, now) if value is not None else None


def _link_heartbeat(heartbeat_id: int | None, incident: Incident) -> None:
    if heartbeat_id is None:
        return
    Heartbeat.objects.filter(pk=heartbeat_id, status=HeartbeatStatus.DOWN).update(incident=incident)


def _accept_escalate(proposal: Proposal, user: User) -> None:
    incident = proposal.incident
    if incident is None:
        raise NotFound(_("The incident of this proposal no longer exists."))
    level = int(proposal.details.get("severity") or incident.severity)
    if level < incident.severity:
        incidents.update_incident(incident, actor=user, changes={"severity": level})
        proposal.result = {"severity": level}
    else:
        proposal.result = {"severity": incident.severity, "unchanged": True}


def _accept_add_detection(proposal: Proposal, user: User, now: datetime) -> None:
    incident = proposal.incident
    if incident is None:
        raise NotFound(_("The incident of this proposal no longer exists."))
    days = proposal.details.get("due_in_days")
    due: date | None = timezone.localdate(now) + timedelta(days=int(days)) if days else None
    subject, ref = proposal.details.get("subject"), proposal.details.get("ref")
    translations = {}
    if isinstance(subject, str):  # Hotwash's words, so in every language
        translations["title"] = in_every_language(add_detection_title, subject)
    if isinstance(ref, str):
        translations["description"] = in_every_language(add_detection_description, ref)
    item = create_action_item(
        actor=user,
        title=proposal.title,
        owner=user,
        due_on=due,
        incident=incident,
        description=str(proposal.details.get("description") or ""),
        kind=proposal.details.get("kind") or "detect",
        translations=translations,
    )
    proposal.result = {"action_item": item.pk, "ref": item.ref}

"""API routes for triggers, mounted under /api/v1/: change events (deploys,
rollbacks, reroutes), heartbeats, the proposals of trigger policies, and the
firings shown on an incident."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from hotwash.accounts.api_auth import caller, responder
from hotwash.core.api.errors import ERRORS
from hotwash.core.api.present import local, username
from hotwash.core.errors import InvalidInput
from hotwash.incidents.models import Incident
from hotwash.incidents.present import incident_url
from hotwash.incidents.queries import get_incident, visible_incident_ids
from hotwash.incidents.schemas import IncidentRef
from hotwash.triggers import services
from hotwash.triggers.changes import ChangeOutcome
from hotwash.triggers.describe import describe_firing
from hotwash.triggers.heartbeats import configured
from hotwash.triggers.models import (
    Heartbeat,
    HeartbeatStatus,
    PolicyFiring,
    Proposal,
    ProposalStatus,
)
from hotwash.triggers.policy import HeartbeatConfig
from hotwash.triggers.schemas import (
    ChangeIn,
    ChangeOut,
    DismissIn,
    FiringOut,
    HeartbeatName,
    HeartbeatOut,
    ProposalId,
    ProposalOut,
    ProposalQuery,
)

router = Router(tags=["Triggers"])

# --- presenting ---------------------------------------------------------------


def _incident_url(incident: Incident | None, request: HttpRequest) -> str | None:
    return incident_url(incident, request) if incident is not None else None


def _ref(incident: Incident | None) -> str | None:
    return incident.ref if incident is not None else None


def _named(incident_id: int | None, visible: set[int]) -> str | None:
    """An incident's reference, if the reader may see it (in `visible`)."""
    return f"INC-{incident_id}" if incident_id and incident_id in visible else None


def present_firing(firing: PolicyFiring) -> dict[str, Any]:
    proposal = getattr(firing, "proposal", None)
    return {
        "id": firing.pk,
        "policy": firing.policy_id,
        "trigger": firing.trigger,
        "mode": firing.mode,
        "action": firing.action,
        "fired_at": local(firing.fired_at),
        "incident": f"INC-{firing.incident_id}" if firing.incident_id else None,
        "description": describe_firing(firing),
        "alert_count": firing.alert_count,
        "alerts": [
            {
                "fingerprint": str(a.get("fingerprint", "")),
                "alertname": str(a.get("alertname", "")),
                "labels": a.get("labels") or {},
            }
            for a in firing.alerts
        ],
        "details": firing.details,
        "full_postmortem": firing.full_postmortem,
        "proposal": proposal.pk if proposal is not None else None,
    }


def present_proposal(proposal: Proposal, request: HttpRequest) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "kind": proposal.kind,
        "status": proposal.status,
        "title": proposal.display_title,
        "policy": proposal.firing.policy_id,
        "trigger": proposal.firing.trigger,
        "description": describe_firing(proposal.firing),
        "details": proposal.details,
        "incident": _ref(proposal.incident),
        "incident_url": _incident_url(proposal.incident, request),
        "created_at": local(proposal.created_at),
        "decided_at": local(proposal.decided_at),
        "decided_by": username(proposal.decided_by),
        "result": proposal.result,
    }


def _proposals_page(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("triggers:proposals"))


def present_change(outcome: ChangeOutcome, request: HttpRequest) -> dict[str, Any]:
    change = outcome.change
    return {
        "id": change.pk,
        "service": change.service,
        "kind": change.kind,
        "version": change.version,
        "description": change.description,
        "url": change.url,
        "occurred_at": local(change.occurred_at),
        "recorded_by": username(change.recorded_by),
        "incident": _ref(outcome.incident),
        "incident_url": _incident_url(outcome.incident, request),
        "proposal": outcome.proposal.pk if outcome.proposal else None,
        "proposal_url": _proposals_page(request) if outcome.proposal else None,
        "written_on": [incident.ref for incident in outcome.written_on],
        "firings": [present_firing(firing) for firing in outcome.firings],
    }


def present_heartbeat(
    config: HeartbeatConfig, row: Heartbeat | None, visible: set[int]
) -> dict[str, Any]:
    """A heartbeat's state; its outage's incident only if in `visible`."""
    if row is None or row.last_ping_at is None:
        status = "waiting"
    else:
        status = "silent" if row.status == HeartbeatStatus.DOWN else "up"
    return {
        "name": config.name,
        "status": status,
        "last_ping_at": local(row.last_ping_at) if row else None,
        "source": row.last_source if row else "",
        "period_seconds": int(config.period.total_seconds()),
        "grace_seconds": int(config.grace.total_seconds()),
        "silent_since": local(row.down_since) if row else None,
        "incident": _named(row.incident_id, visible) if row else None,
    }


# --- operations ---------------------------------------------------------------


@router.post(
    "/events/deploy",
    response={201: ChangeOut, **ERRORS},
    summary="Record a deploy, rollback or reroute",
    operation_id="record_change_event",
)
def record_change(request: HttpRequest, payload: ChangeIn) -> Status[dict[str, Any]]:
    """Record a change to a service. It is written on the timeline of the
    service's open incidents. A rollback or a traffic reroute is an on-call
    intervention: by the trigger policy, it opens an incident, proposes one
    to the on-call person, or notifies; when an incident of that service is
    already open, it is linked to that one instead. Responders and admins
    only."""
    outcome = services.record_change(
        actor=responder(request),
        service=payload.service,
        kind=payload.kind,
        version=payload.version,
        description=payload.description,
        url=payload.url,
        occurred_at=payload.at,
    )
    return Status(201, present_change(outcome, request))


@router.post(
    "/heartbeats/{name}",
    response={200: HeartbeatOut, **ERRORS},
    summary="Send a heartbeat",
    operation_id="ping_heartbeat",
)
def ping_heartbeat(request: HttpRequest, name: HeartbeatName) -> dict[str, Any]:
    """Say that `name` is alive. The heartbeat must be named in the trigger
    policy file, with its period and grace; the first ping starts
    monitoring it. Silent past period + grace, it opens a "monitoring
    failure" incident; the next ping records the recovery on it. Responders
    and admins only (use a responder's API token in the job that pings)."""
    user = responder(request)
    heartbeat = services.ping(name, actor=user)
    config = configured(heartbeat.name)
    return present_heartbeat(config, heartbeat, visible_incident_ids(user, [heartbeat.incident_id]))


@router.get(
    "/heartbeats",
    response={200: list[HeartbeatOut], **ERRORS},
    summary="List heartbeats",
    operation_id="list_heartbeats",
)
def list_heartbeats(request: HttpRequest) -> list[dict[str, Any]]:
    """Every heartbeat of the trigger policy file with its state: up,
    silent, or waiting for its first sign of life. The incident of an
    outage is named only to those who may see it (null otherwise)."""
    rows = services.heartbeat_rows()
    visible = visible_incident_ids(
        caller(request), [row["row"].incident_id for row in rows if row["row"] is not None]
    )
    return [present_heartbeat(row["config"], row["row"], visible) for row in rows]


@router.get(
    "/proposals",
    response={200: list[ProposalOut], **ERRORS},
    summary="List proposals",
    operation_id="list_proposals",
)
def list_proposals(request: HttpRequest, query: Query[ProposalQuery]) -> list[dict[str, Any]]:
    """The suggestions of trigger policies in "propose" mode, newest first:
    incidents to declare, severities to raise, detection to add. Open ones
    by default. Responders and admins only."""
    user = responder(request)
    status = query.status.strip().lower()
    if status not in (*ProposalStatus.values, "all"):
        raise InvalidInput(
            _("Unknown status %(value)s: use open, accepted, dismissed or all.")
            % {"value": query.status},
            field="status",
        )
    found = services.proposals_for(user, None if status == "all" else status)[: query.limit]
    return [present_proposal(proposal, request) for proposal in found]


@router.post(
    "/proposals/{proposal_id}/accept",
    response={200: ProposalOut, **ERRORS},
    summary="Accept a proposal",
    operation_id="accept_proposal",
)
def accept_proposal(request: HttpRequest, proposal_id: ProposalId) -> dict[str, Any]:
    """Do what the proposal says (declare the incident, raise the severity,
    create the action item, owned by you) and record that you accepted it.
    A proposal already answered gives 409."""
    user = responder(request)
    proposal = services.accept(services.get_proposal(user, proposal_id), actor=user)
    return present_proposal(proposal, request)


@router.post(
    "/proposals/{proposal_id}/dismiss",
    response={200: ProposalOut, **ERRORS},
    summary="Dismiss a proposal",
    operation_id="dismiss_proposal",
)
def dismiss_proposal(
    request: HttpRequest, proposal_id: ProposalId, payload: DismissIn
) -> dict[str, Any]:
    """Say no, optionally with a reason; recorded (who, when) like an
    acceptance. A proposal already answered gives 409."""
    user = responder(request)
    proposal = services.get_proposal(user, proposal_id)
    proposal = services.dismiss(proposal, actor=user, reason=payload.reason)
    return present_proposal(proposal, request)


@router.get(
    "/incidents/{ref}/firings",
    response={200: list[FiringOut], **ERRORS},
    summary="List the policy firings of an incident",
    operation_id="list_policy_firings",
)
def list_firings(request: HttpRequest, ref: IncidentRef) -> list[dict[str, Any]]:
    """Every firing of a trigger policy on this incident, oldest first:
    which rule, which alerts, what it did."""
    incident = get_incident(caller(request), ref)
    firings = PolicyFiring.objects.filter(incident=incident).select_related("proposal")
    return [present_firing(firing) for firing in firings.order_by("fired_at", "id")]

"""Pages: the proposals the on-call person answers with one click, and an
overview of the policies in force and the heartbeats."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotwash.accounts.permissions import can_respond
from hotwash.core.errors import DomainError, NotFound
from hotwash.incidents.queries import visible_incident_ids, with_visible_incident
from hotwash.triggers import services
from hotwash.triggers.describe import describe_firing, policy_description
from hotwash.triggers.durations import exact_duration
from hotwash.triggers.models import (
    Mode,
    PolicyFiring,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Trigger,
)
from hotwash.triggers.policy import load_trigger_policies

RECENTLY_ANSWERED = 20
RECENT_FIRINGS = 20


def _responder_only(request: HttpRequest) -> None:
    if not can_respond(request.user):
        raise PermissionDenied


@login_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    _responder_only(request)
    open_ = list(services.proposals_for(request.user, ProposalStatus.OPEN)[:200])
    answered = services.proposals_for(request.user, None).exclude(status=ProposalStatus.OPEN)
    return render(
        request,
        "triggers/proposals.html",
        {
            "nav": "proposals",
            "open_proposals": [_row(p) for p in open_],
            "answered": [_row(p) for p in answered[:RECENTLY_ANSWERED]],
            "next": request.get_full_path(),
        },
    )


def _row(proposal: Proposal) -> dict[str, Any]:
    return {
        "proposal": proposal,
        "description": describe_firing(proposal.firing),
        "details": proposal.details,
        "adds_detection": proposal.kind == ProposalKind.ADD_DETECTION,
    }


def _target(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("triggers:proposals")


def _answer(request: HttpRequest, proposal_id: int, accept: bool) -> HttpResponse:
    _responder_only(request)
    try:
        proposal = services.get_proposal(request.user, proposal_id)
    except NotFound as error:
        raise Http404(error.message) from None
    try:
        if accept:
            proposal = services.accept(proposal, actor=request.user)
        else:
            proposal = services.dismiss(
                proposal, actor=request.user, reason=request.POST.get("reason", "")
            )
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(_target(request))
    if not accept:
        messages.success(request, _("Dismissed: %(title)s.") % {"title": proposal.title})
        return HttpResponseRedirect(_target(request))
    if proposal.kind == ProposalKind.DECLARE and proposal.incident is not None:
        messages.success(
            request,
            _("%(ref)s declared. Take command, then tell the timeline what you know.")
            % {"ref": proposal.incident.ref},
        )
        return redirect("incidents:detail", proposal.incident.ref)
    if proposal.result.get("ref"):
        messages.success(
            request,
            _("Accepted: action item %(ref)s is yours.") % {"ref": proposal.result["ref"]},
        )
    else:
        messages.success(request, _("Accepted: %(title)s.") % {"title": proposal.title})
    return HttpResponseRedirect(_target(request))


@login_required
@require_POST
def accept(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _answer(request, proposal_id, accept=True)


@login_required
@require_POST
def dismiss(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _answer(request, proposal_id, accept=False)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The policies in force, the heartbeats and the latest firings."""
    policies = load_trigger_policies()
    firings = (
        PolicyFiring.objects.select_related("incident", "proposal")
        .filter(with_visible_incident(request.user))
        .order_by("-fired_at", "-id")[:RECENT_FIRINGS]
    )
    return render(
        request,
        "triggers/overview.html",
        {
            "nav": "triggers",
            "policies": [_policy_row(p) for p in policies.policies],
            "heartbeats": _heartbeat_rows(request),
            "firings": [{"firing": f, "description": describe_firing(f)} for f in firings],
            "can_respond": can_respond(request.user),
            "open_count": services.proposals_for(request.user).count(),
        },
    )


def _heartbeat_rows(request: HttpRequest) -> list[dict[str, Any]]:
    """The heartbeats, each with its outage's incident only if the viewer
    may see it (a private incident's reference is itself private)."""
    rows = services.heartbeat_rows()
    visible = visible_incident_ids(
        request.user, [row["row"].incident_id for row in rows if row["row"] is not None]
    )
    for row in rows:
        heartbeat = row["row"]
        shown = heartbeat is not None and heartbeat.incident_id in visible
        row["incident"] = heartbeat.incident if shown else None
    return rows


def _policy_row(policy: Any) -> dict[str, Any]:
    threshold = getattr(policy, "firing_for", None)
    return {
        "id": policy.id,
        "trigger": Trigger(policy.trigger).label,
        "mode": Mode(policy.mode).label,
        "enabled": policy.enabled,
        "description": policy_description(policy),
        "threshold": exact_duration(threshold) if threshold is not None else "",
    }

"""`{% load triggers_tags %}{% policy_firings incident %}`: the trigger
policies that fired on an incident, with the answers to their proposals."""

from __future__ import annotations

from typing import Any

from django import template

from hotwash.accounts.permissions import can_respond
from hotwash.incidents.models import Incident
from hotwash.triggers.describe import describe_firing, policy_description
from hotwash.triggers.models import Action, PolicyFiring, ProposalKind, ProposalStatus
from hotwash.triggers.policy import load_trigger_policies

register = template.Library()


def firings_context(incident: Incident, user: Any) -> dict[str, Any]:
    """What the include shows: one query for the firings and their
    proposals (plus the people who answered)."""
    firings = list(
        PolicyFiring.objects.filter(incident=incident)
        .select_related("proposal", "proposal__decided_by")
        .order_by("fired_at", "id")
    )
    return {
        "incident": incident,
        "firings": [
            {
                "firing": firing,
                "proposal": getattr(firing, "proposal", None),
                "description": describe_firing(firing),
                "alerts": [
                    {
                        "alertname": alert.get("alertname", ""),
                        "labels": ", ".join(
                            f"{k}={v}"
                            for k, v in sorted((alert.get("labels") or {}).items())
                            if k != "alertname"
                        ),
                    }
                    for alert in firing.alerts
                ],
            }
            for firing in firings
        ],
        "opened_by": opened_by(firings),
        # The same rule as full_postmortem_required(), without a second query.
        "full_postmortem": any(f.full_postmortem for f in firings),
        "can_answer": user is not None and can_respond(user),
    }


def opened_by(firings: list[PolicyFiring]) -> dict[str, str] | None:
    """The policy that opened the incident (declared it, or proposed it and
    someone accepted), with its description, or None if a person did."""
    for firing in firings:
        proposal = getattr(firing, "proposal", None)
        accepted = (
            proposal is not None
            and proposal.kind == ProposalKind.DECLARE
            and proposal.status == ProposalStatus.ACCEPTED
        )
        if firing.action == Action.DECLARED or accepted:
            # The policy as it is now; one removed from the file since is
            # named without a description.
            policy = load_trigger_policies().policy(firing.policy_id)
            return {
                "policy": firing.policy_id,
                "description": policy_description(policy) if policy is not None else "",
            }
    return None


@register.inclusion_tag("triggers/_incident_firings.html", takes_context=True)
def policy_firings(context: template.Context, incident: Incident) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    data = firings_context(incident, user)
    data["csrf_token"] = context.get("csrf_token")
    data["next"] = f"{request.path}#trigger-firings" if request is not None else ""
    return data

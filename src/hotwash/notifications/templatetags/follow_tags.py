"""`{% load follow_tags %}{% follow_button incident %}`: the Follow / Unfollow
button of an incident page; `notifications/_follow.html` (the same button)
can also be included with `service=` on a service's page.
`{% delivery_problems incident %}`: its notifications that failed or wait
for a retry, for responders."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import User
from django.urls import reverse

from hotwash.accounts.permissions import can_respond
from hotwash.incidents.models import Incident, Service
from hotwash.notifications.follows import is_following
from hotwash.notifications.models import Delivery, DeliveryStatus

register = template.Library()


@register.inclusion_tag("notifications/_follow.html", takes_context=True)
def follow_button(context: template.Context, incident: Incident) -> dict[str, Any]:
    return {"incident": incident, "request": context.get("request")}


@register.simple_tag(takes_context=True)
def follow_state(
    context: template.Context, incident: Incident | None = None, service: Service | None = None
) -> dict[str, Any] | None:
    """Whether the reader follows the incident (or service), and where the
    button posts; None for someone not signed in."""
    request = context.get("request")
    user = getattr(request, "user", None)
    thing: Incident | Service | None = (
        incident
        if isinstance(incident, Incident)
        else service
        if isinstance(service, Service)
        else None
    )
    if not isinstance(user, User) or thing is None:
        return None
    if isinstance(thing, Incident):
        action = reverse("notifications:follow_incident", args=[thing.ref])
        name = thing.ref
    else:
        action = reverse("notifications:follow_service", args=[thing.name])
        name = thing.name
    return {
        "following": is_following(user, thing),
        "action": action,
        "name": name,
        "next": request.get_full_path() if request is not None else "",
    }


# Recent problems shown on the incident page: enough to notice that a channel
# is failing, not a log (the admin has every delivery).
PROBLEMS_SHOWN = 10


@register.inclusion_tag("notifications/_delivery_problems.html", takes_context=True)
def delivery_problems(context: template.Context, incident: Incident) -> dict[str, Any]:
    """The incident's deliveries that failed or wait for a retry, for the
    people who respond to it (a failing channel is shown, never silent)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not can_respond(user):
        return {"problems": []}
    problems = list(
        Delivery.objects.filter(
            event__incident=incident,
            status__in=(DeliveryStatus.FAILED, DeliveryStatus.RETRYING),
        )
        .select_related("event", "recipient")
        .order_by("-created_at")[:PROBLEMS_SHOWN]
    )
    return {"problems": problems}

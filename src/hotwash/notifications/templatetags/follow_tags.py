"""`{% load follow_tags %}{% follow_button incident %}`: the Follow / Unfollow
button of an incident page; `notifications/_follow.html` (the same button)
can also be included with `service=` on a service's page."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import User
from django.urls import reverse

from hotwash.incidents.models import Incident, Service
from hotwash.notifications.follows import is_following

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

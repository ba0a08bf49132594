"""API routes for following, mounted under /api/v1/: follow or stop
following an incident or a service (its events then reach you by mail,
for the events chosen in your notification preferences)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from hotwash.accounts.api_auth import caller
from hotwash.core.api.errors import ERRORS
from hotwash.incidents.queries import get_incident
from hotwash.incidents.schemas import IncidentRef
from hotwash.notifications import follows
from hotwash.notifications.schemas import FollowOut, ServiceName
from hotwash.teams.queries import get_service

router = Router(tags=["Notifications"])


@router.post(
    "/incidents/{ref}/follow",
    response={200: FollowOut, **ERRORS},
    summary="Follow an incident",
    operation_id="follow_incident",
)
def follow_incident(request: HttpRequest, ref: IncidentRef) -> dict[str, Any]:
    """Follow an incident you can see: its events reach you by mail, in
    your language, for the events chosen in your notification preferences.
    Following twice is following once."""
    user = caller(request)
    incident = get_incident(user, ref)
    follows.follow(user, incident)
    return {"incident": incident.ref, "service": None, "following": True}


@router.delete(
    "/incidents/{ref}/follow",
    response={200: FollowOut, **ERRORS},
    summary="Stop following an incident",
    operation_id="unfollow_incident",
)
def unfollow_incident(request: HttpRequest, ref: IncidentRef) -> dict[str, Any]:
    """Stop following an incident: its events no longer reach you by mail
    (unless a notification rule names you). Not following it is fine."""
    user = caller(request)
    incident = get_incident(user, ref)
    follows.unfollow(user, incident)
    return {"incident": incident.ref, "service": None, "following": False}


@router.post(
    "/services/{name}/follow",
    response={200: FollowOut, **ERRORS},
    summary="Follow a service",
    operation_id="follow_service",
)
def follow_service(request: HttpRequest, name: ServiceName) -> dict[str, Any]:
    """Follow a service: the events of its incidents that you may see reach
    you by mail, for the events chosen in your notification preferences."""
    user = caller(request)
    service = get_service(user, name)
    follows.follow(user, service)
    return {"incident": None, "service": service.name, "following": True}


@router.delete(
    "/services/{name}/follow",
    response={200: FollowOut, **ERRORS},
    summary="Stop following a service",
    operation_id="unfollow_service",
)
def unfollow_service(request: HttpRequest, name: ServiceName) -> dict[str, Any]:
    """Stop following a service: its incidents no longer reach you by mail
    (unless you follow them, or a notification rule names you)."""
    user = caller(request)
    service = get_service(user, name)
    follows.unfollow(user, service)
    return {"incident": None, "service": service.name, "following": False}

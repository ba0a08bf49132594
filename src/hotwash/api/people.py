"""Who is involved in an incident: role holders and participants."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from hotwash.core.api.auth import caller, responder
from hotwash.incidents import present, services
from hotwash.incidents.api import IfMatch, StaleOut, expected_version, stale_response
from hotwash.incidents.models import IncidentRole, Participant, RoleAssignment
from hotwash.incidents.queries import get_incident
from hotwash.incidents.schemas import (
    ERRORS,
    IncidentRef,
    ParticipantAdd,
    ParticipantOut,
    RoleAssign,
    RoleOut,
    RolePath,
    RolesOut,
)

router = Router(tags=["Roles and participants"])


@router.get(
    "/incidents/{ref}/roles",
    response={200: RolesOut, **ERRORS},
    summary="Who holds each role",
    operation_id="list_roles",
)
def roles(request: HttpRequest, ref: IncidentRef) -> dict[str, Any]:
    """Every role with its current holder (null when vacant), and every
    assignment there has been, oldest first, with when it ended."""
    incident = get_incident(caller(request), ref)
    history = list(
        RoleAssignment.objects.filter(incident=incident).select_related("user", "assigned_by")
    )
    current = {item.role: item for item in history if item.ended_at is None}
    return {
        "current": [
            present.assignment(current[role]) if role in current else present.vacant_role(role)
            for role in IncidentRole.values
        ],
        "history": [present.assignment(item) for item in history],
    }


@router.put(
    "/incidents/{ref}/roles/{role}",
    response={200: RoleOut, **ERRORS, 412: StaleOut},
    summary="Assign or hand over a role",
    operation_id="assign_role",
)
def assign(
    request: HttpRequest,
    ref: IncidentRef,
    role: RolePath,
    payload: RoleAssign,
    if_match: IfMatch = None,
) -> Any:
    """Give the role to `user`, ending the previous holder's turn at the
    same instant (a hand-over is one call), or send `null` to leave it
    vacant. The change is written to the timeline and raises the
    incident's `version`. People taking the same role at the same moment
    are served one after the other: each hands over from the one before.
    With `If-Match: "<version>"`, a stale version answers 412."""
    user = responder(request)
    incident = get_incident(user, ref)
    expected = expected_version(if_match)
    holder = services.find_user(payload.user, "user") if payload.user is not None else None
    try:
        result = services.assign_role(
            incident, actor=user, role=role, user=holder, expected_version=expected
        )
    except services.StaleVersion as stale:
        return stale_response(stale)
    if result is None:
        return present.vacant_role(services.clean_role(role))
    return present.assignment(result)


@router.get(
    "/incidents/{ref}/participants",
    response={200: list[ParticipantOut], **ERRORS},
    summary="Who is involved",
    operation_id="list_participants",
)
def participants(request: HttpRequest, ref: IncidentRef) -> list[dict[str, Any]]:
    """Everyone involved, in the order they joined. For a private incident,
    these people (and admins) are the only ones who can see it."""
    incident = get_incident(caller(request), ref)
    people = Participant.objects.filter(incident=incident).select_related("user")
    return [present.participant(item) for item in people.order_by("joined_at", "id")]


@router.post(
    "/incidents/{ref}/participants",
    response={201: list[ParticipantOut], **ERRORS},
    summary="Bring someone in",
    operation_id="add_participant",
)
def add_participant(
    request: HttpRequest, ref: IncidentRef, payload: ParticipantAdd
) -> Status[list[dict[str, Any]]]:
    """Add a participant (the way into a private incident). Adding someone
    already involved changes nothing. Answers with everyone involved."""
    user = responder(request)
    incident = get_incident(user, ref)
    services.add_participant(incident, actor=user, user=services.find_user(payload.user, "user"))
    people = Participant.objects.filter(incident=incident).select_related("user")
    return Status(201, [present.participant(item) for item in people.order_by("joined_at", "id")])

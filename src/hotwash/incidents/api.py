"""Incidents: declare, list, read, change, catch up.

An incident's `version` is its ETag; a change sent with `If-Match` is made
only if the incident is still at that version (412 otherwise), so two
scripts or people editing at once never silently overwrite each other.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import HeaderEx, P, Query, Router, Status
from pydantic import Field

from hotwash.api.catchup import catchup_data
from hotwash.core.api.auth import caller, responder
from hotwash.core.api.errors import error_body
from hotwash.core.errors import InvalidInput
from hotwash.incidents import services
from hotwash.incidents.models import Incident
from hotwash.incidents.present import Presenter
from hotwash.incidents.queries import IncidentFilters, build_catchup, get_incident, search_incidents
from hotwash.incidents.schemas import (
    ERRORS,
    CatchupOut,
    Error,
    IncidentCreate,
    IncidentListQuery,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    IncidentRef,
)

router = Router(tags=["Incidents"])

IfMatch = HeaderEx[
    str | None,
    P(
        alias="If-Match",
        description='Make the change only if the incident is still at this version: "7", '
        "as the ETag gives it (7 works too). Left out, the change is made whatever the "
        "version. A stale version answers 412 with the current one.",
        examples=['"7"'],
    ),
]


class StaleOut(Error):
    """The answer when If-Match names an older version than the current one."""

    version: int = Field(description="The incident's current version.")


VERSION_DIGITS_MAX = 18


def etag(incident: Incident) -> str:
    return f'"{incident.version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header names; None when there is none (or
    `*`, which any existing incident matches)."""
    if if_match is None:
        return None
    text = if_match.strip()
    if text in ("", "*"):
        return None
    # We send strong ETags; a weak copy of one still names the same version.
    text = text.removeprefix("W/").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    if text.isascii() and text.isdigit() and len(text) <= VERSION_DIGITS_MAX:
        return int(text)
    raise InvalidInput(
        _('If-Match must be the incident\'s version, as its ETag gives it: for example "7".'),
        field="If-Match",
    )


def stale_response(stale: services.StaleVersion) -> JsonResponse:
    """412 in the error shape, with the current version (and as the ETag)."""
    body = {**error_body(stale.message, "If-Match"), "version": stale.current}
    response = JsonResponse(body, status=412)
    response["ETag"] = f'"{stale.current}"'
    return response


@router.post(
    "/incidents",
    response={201: IncidentOut, **ERRORS},
    summary="Declare an incident",
    operation_id="declare_incident",
)
def declare(
    request: HttpRequest, payload: IncidentCreate, response: HttpResponse
) -> Status[dict[str, Any]]:
    """Open a new incident. Only `title` is required: severity defaults to
    SEV3, status to investigating. The declarer becomes a participant, and
    the timeline gets its first entry. Responders and admins only."""
    incident = services.declare_incident(actor=responder(request), **payload.model_dump())
    response["ETag"] = etag(incident)
    return Status(201, Presenter(request).incident(incident))


@router.get(
    "/incidents",
    response={200: IncidentPage, **ERRORS},
    summary="List and search incidents",
    operation_id="list_incidents",
)
def list_incidents(request: HttpRequest, query: Query[IncidentListQuery]) -> dict[str, Any]:
    """Incidents you can see, newest first unless `sort` says otherwise,
    filtered by status, severity, service, date range and title text.
    Private incidents appear only to their participants and admins."""
    filters = IncidentFilters.parse(request.GET)
    # Services and role holders are loaded for the whole page by the presenter.
    incidents = (
        search_incidents(caller(request), filters)
        .prefetch_related(None)
        .select_related("created_by")
    )
    presenter = Presenter(request)
    return presenter.page(
        incidents, page=query.page, per_page=query.per_page, render=presenter.incidents
    )


@router.get(
    "/incidents/{ref}",
    response={200: IncidentOut, **ERRORS},
    summary="Get an incident",
    operation_id="get_incident",
)
def read(request: HttpRequest, ref: IncidentRef, response: HttpResponse) -> dict[str, Any]:
    """One incident with its current role holders. A private incident you
    are not part of answers 404, exactly like one that does not exist. The
    ETag header is its version, for If-Match on a change."""
    incident = get_incident(caller(request), ref)
    response["ETag"] = etag(incident)
    return Presenter(request).incident(incident)


@router.patch(
    "/incidents/{ref}",
    response={200: IncidentOut, **ERRORS, 412: StaleOut},
    summary="Change an incident",
    operation_id="update_incident",
)
def update(
    request: HttpRequest,
    ref: IncidentRef,
    payload: IncidentPatch,
    response: HttpResponse,
    if_match: IfMatch = None,
) -> Any:
    """Change any of the fields sent, and only those: a field left out is
    not touched, while `null` clears a time. Each real change (status,
    severity, summary, a time, ...) writes its own timeline entry; a status
    change also fills in the times it implies (e.g. resolved_at), and any
    real change raises `version` by one.

    Send `If-Match: "<version>"` (the ETag of your last read) to change it
    only if nobody else did meanwhile: otherwise the answer is 412 with the
    current `version`, and nothing is changed. Without If-Match, the change
    is made whatever the version (the last writer wins)."""
    user = responder(request)
    incident = get_incident(user, ref)
    expected = expected_version(if_match)
    changes = payload.model_dump(include=payload.model_fields_set)
    try:
        incident = services.update_incident(
            incident, actor=user, changes=changes, expected_version=expected
        )
    except services.StaleVersion as stale:
        return stale_response(stale)
    response["ETag"] = etag(incident)
    return Presenter(request).incident(incident)


@router.get(
    "/incidents/{ref}/catchup",
    response={200: CatchupOut, **ERRORS},
    summary="Catch up on an incident",
    operation_id="catchup",
)
def catchup(request: HttpRequest, ref: IncidentRef) -> dict[str, Any]:
    """Everything someone joining now needs: status and for how long,
    severity and its definition, how long the impact has lasted, the impact
    statement, who holds each role, the key moments, the five latest
    entries, open tasks, and the same as a short paragraph (`summary`)."""
    incident = get_incident(caller(request), ref)
    return catchup_data(Presenter(request), build_catchup(incident))

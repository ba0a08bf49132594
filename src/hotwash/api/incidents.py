"""Incidents: declare, list, read, change, catch up."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from hotwash.api.auth import caller, responder
from hotwash.api.catchup import catchup_data
from hotwash.api.present import Presenter
from hotwash.api.schemas import (
    ERRORS,
    CatchupOut,
    IncidentCreate,
    IncidentListQuery,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    IncidentRef,
)
from hotwash.incidents import services
from hotwash.incidents.queries import IncidentFilters, build_catchup, get_incident, search_incidents

router = Router(tags=["Incidents"])


@router.post(
    "/incidents",
    response={201: IncidentOut, **ERRORS},
    summary="Declare an incident",
    operation_id="declare_incident",
)
def declare(request: HttpRequest, payload: IncidentCreate) -> Status[dict[str, Any]]:
    """Open a new incident. Only `title` is required: severity defaults to
    SEV3, status to investigating. The declarer becomes a participant, and
    the timeline gets its first entry. Responders and admins only."""
    incident = services.declare_incident(actor=responder(request), **payload.model_dump())
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
def read(request: HttpRequest, ref: IncidentRef) -> dict[str, Any]:
    """One incident with its current role holders. A private incident you
    are not part of answers 404, exactly like one that does not exist."""
    return Presenter(request).incident(get_incident(caller(request), ref))


@router.patch(
    "/incidents/{ref}",
    response={200: IncidentOut, **ERRORS},
    summary="Change an incident",
    operation_id="update_incident",
)
def update(request: HttpRequest, ref: IncidentRef, payload: IncidentPatch) -> dict[str, Any]:
    """Change any of the fields sent, and only those: a field left out is
    not touched, while `null` clears a time. Each real change (status,
    severity, summary, a time, ...) writes its own timeline entry; a status
    change also fills in the times it implies (e.g. resolved_at)."""
    user = responder(request)
    incident = get_incident(user, ref)
    changes = payload.model_dump(include=payload.model_fields_set)
    incident = services.update_incident(incident, actor=user, changes=changes)
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

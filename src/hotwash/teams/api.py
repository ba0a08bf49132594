"""API routes for the service catalog, mounted under /api/v1/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Status

from hotwash.accounts.api_auth import caller, responder
from hotwash.core.api.errors import ERRORS
from hotwash.core.api.paging import present_page
from hotwash.incidents.models import Service
from hotwash.teams import services
from hotwash.teams.queries import CatalogFilters, get_service, search_services, with_owners
from hotwash.teams.schemas import (
    ServiceCreate,
    ServiceListQuery,
    ServiceName,
    ServiceOut,
    ServicePage,
    ServicePatch,
)

router = Router(tags=["Services"])


def present_service(service: Service, request: HttpRequest) -> dict[str, Any]:
    return {
        "name": service.name,
        "description": service.description,
        "owners": [
            {
                "slug": team.slug,
                "name": team.name,
                "email": team.email,
                "chat_channel": team.chat_channel,
            }
            for team in service.teams.all()
        ],
        "escalation_contact": service.escalation_contact,
        "runbooks": list(service.runbooks or []),
        "chat_channel": service.chat_channel,
        "public": service.public,
        "public_name": service.public_name,
        "url": request.build_absolute_uri(reverse("teams:service", args=[service.name])),
    }


def _fresh(service: Service) -> Service:
    """The service as saved, with its owners (the caller just wrote it)."""
    return with_owners(Service.objects.filter(pk=service.pk)).get()


@router.get(
    "/services",
    response={200: ServicePage, **ERRORS},
    summary="List services",
    operation_id="list_services",
)
def list_services(request: HttpRequest, query: Query[ServiceListQuery]) -> dict[str, Any]:
    """The service catalog by name, each service with its owning teams,
    escalation contact, runbooks and chat channel; `q` searches the name,
    description and public name, `team` keeps the services a team owns.
    Every signed-in person can read it."""
    user = caller(request)
    filters = CatalogFilters.parse(query.q or "", query.team or "")
    return present_page(
        search_services(user, filters),
        request,
        page=query.page,
        per_page=query.per_page,
        render=lambda rows: [present_service(service, request) for service in rows],
    )


@router.post(
    "/services",
    response={201: ServiceOut, **ERRORS},
    summary="Add a service",
    operation_id="create_service",
)
def create(request: HttpRequest, payload: ServiceCreate) -> Status[dict[str, Any]]:
    """Add a service to the catalog. `owners` are team short names (an
    unknown one is refused with 422 naming it); runbook addresses must be
    http or https; a name already in the catalog answers 409. Responders
    and admins only."""
    user = responder(request)
    service = services.create_service(actor=user, **payload.model_dump())
    return Status(201, present_service(_fresh(service), request))


@router.get(
    "/services/{path:name}",
    response={200: ServiceOut, **ERRORS},
    summary="Get a service",
    operation_id="get_service",
)
def read(request: HttpRequest, name: ServiceName) -> dict[str, Any]:
    """One service of the catalog, by name (URL-encode spaces and other
    special characters), with its owners and runbooks."""
    return present_service(get_service(caller(request), name), request)


@router.patch(
    "/services/{path:name}",
    response={200: ServiceOut, **ERRORS},
    summary="Change a service",
    operation_id="update_service",
)
def update(request: HttpRequest, name: ServiceName, payload: ServicePatch) -> dict[str, Any]:
    """Change the fields sent, and only those; `owners` and `runbooks`
    replace the whole list. Admins can change any service; responders one
    their team owns, or one no team owns yet. The change is recorded in the
    audit log; nothing changes when any field is refused."""
    user = caller(request)
    service = get_service(user, name)
    changes = payload.model_dump(include=payload.model_fields_set)
    services.update_service(service, actor=user, changes=changes)
    return present_service(_fresh(service), request)

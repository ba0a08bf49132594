"""API routes for search and similar incidents, mounted under /api/v1/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from hotwash.accounts.api_auth import caller
from hotwash.core.api.errors import ERRORS
from hotwash.core.api.paging import page_url
from hotwash.incidents.queries import get_incident
from hotwash.incidents.schemas import IncidentRef
from hotwash.search import present
from hotwash.search.queries import SearchParams, search
from hotwash.search.schemas import SearchPage, SearchQuery, SimilarOut
from hotwash.search.similar import similar_incidents

router = Router(tags=["Search"])


@router.get(
    "/search",
    response={200: SearchPage, **ERRORS},
    summary="Search incidents, postmortems, action items and alert groups",
    operation_id="search",
)
def search_everything(request: HttpRequest, query: Query[SearchQuery]) -> dict[str, Any]:
    """Everything you may see whose words match `q`, best match first: an
    incident's title, summary, impact and timeline; a postmortem's title and
    sections in both languages; an action item; an alert group's labels.
    Words are matched in English and French stemming with accents ignored
    (`paiements` finds `paiement`, `echec` finds `échec`). A private
    incident's words match only for its participants and admins. The 300
    newest matches are ranked; `count_exact` is false beyond."""
    params = SearchParams.parse(request.GET)
    results = search(caller(request), params)
    return {
        "items": [present.result(item, request) for item in results.items],
        "count": results.count,
        "count_exact": results.exact,
        "page": params.page,
        "per_page": params.per_page,
        "next": page_url(request, params.page + 1) if results.has_next else None,
        "previous": page_url(request, params.page - 1) if params.page > 1 else None,
    }


@router.get(
    "/incidents/{ref}/similar",
    response={200: SimilarOut, **ERRORS},
    summary="Incidents like this one",
    operation_id="similar_incidents",
)
def similar(request: HttpRequest, ref: IncidentRef) -> dict[str, Any]:
    """Up to five incidents declared before this one that you may see, most
    alike first (words in common, services affected, alert names, type),
    each with its postmortem's key lessons. Never the incident itself nor a
    duplicate merged into another. 404 if you cannot see the incident."""
    user = caller(request)
    incident = get_incident(user, ref)
    return {"items": [present.similar(item, request) for item in similar_incidents(user, incident)]}

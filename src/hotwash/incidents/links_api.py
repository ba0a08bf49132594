"""API routes for linking and merging incidents, mounted under /api/v1/.

A link is between two incidents; each end lists it, read from its side
("Related to INC-41", "Caused by INC-40", "Caused INC-43"). A second link
between the same two incidents answers 409 (not an idempotent 200: the
first may be of another kind or direction, and a client should know that
its request did not make the link it asked for). Merging answers with the
survivor; the duplicate stays readable at its own address, closed, with
`merged_into` pointing at the survivor.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from hotwash.accounts.api_auth import caller, responder
from hotwash.core.api.errors import ERRORS
from hotwash.core.api.present import local, username
from hotwash.incidents import linking
from hotwash.incidents.link_schemas import LinkCreate, LinkId, LinkOut, MergeRequest
from hotwash.incidents.models import Incident, IncidentLink
from hotwash.incidents.present import incident_url, present_incident
from hotwash.incidents.queries import get_incident
from hotwash.incidents.schemas import IncidentOut, IncidentRef

router = Router(tags=["Incidents"])
LINKS = ["Links and merges"]


def present_link(link: IncidentLink, incident: Incident, request: HttpRequest) -> dict[str, Any]:
    """The link as read from `incident` (its other end must be loaded)."""
    outgoing = link.source_id == incident.pk
    other = link.target if outgoing else link.source
    return {
        "id": link.pk,
        "kind": link.kind,
        "direction": linking.OUTGOING if outgoing else linking.INCOMING,
        "text": linking.link_sentence(link, incident),
        "incident": other.ref,
        "title": other.title,
        "status": other.status,
        "url": incident_url(other, request),
        "created_at": local(link.created_at),
        "created_by": username(link.created_by),
    }


@router.get(
    "/incidents/{ref}/links",
    response={200: list[LinkOut], **ERRORS},
    summary="List an incident's links",
    operation_id="list_incident_links",
    tags=LINKS,
)
def list_links(request: HttpRequest, ref: IncidentRef) -> list[dict[str, Any]]:
    """Links to and from the incident, oldest first. A link whose other
    incident you cannot see (a private one you are not part of) is left
    out, as if it did not exist."""
    user = caller(request)
    incident = get_incident(user, ref)
    return [present_link(link, incident, request) for link in linking.links_of(incident, user)]


@router.post(
    "/incidents/{ref}/links",
    response={201: LinkOut, **ERRORS},
    summary="Link two incidents",
    operation_id="link_incidents",
    tags=LINKS,
)
def add_link(request: HttpRequest, ref: IncidentRef, payload: LinkCreate) -> Status[dict[str, Any]]:
    """Link this incident to `to`: `related`, or `caused_by` (this incident
    was caused by `to`). Both incidents get a timeline entry. 404 when you
    cannot see either; 422 for an unknown kind or a link to itself; 409
    when the two are already linked (one link per pair, whatever its kind).
    Responders and admins only."""
    user = responder(request)
    incident = get_incident(user, ref)
    kind = linking.clean_kind(payload.kind)  # a bad kind is 422 whatever `to` names
    other = linking.find_incident(user, payload.to, "to")
    link = linking.link_incidents(incident, actor=user, to=other, kind=kind)
    return Status(201, present_link(link, incident, request))


@router.delete(
    "/incidents/{ref}/links/{link_id}",
    response={204: None, **ERRORS},
    summary="Remove a link",
    operation_id="unlink_incidents",
    tags=LINKS,
)
def remove_link(request: HttpRequest, ref: IncidentRef, link_id: LinkId) -> Status[None]:
    """Remove a link of this incident (from either end). Both incidents get
    a timeline entry. Responders and admins only."""
    user = responder(request)
    incident = get_incident(user, ref)
    link = linking.get_link(incident, link_id, user)
    linking.unlink_incidents(incident, link, actor=user)
    return Status(204, None)


@router.post(
    "/incidents/{ref}/merge",
    response={200: IncidentOut, **ERRORS},
    summary="Merge a duplicate into another incident",
    operation_id="merge_incident",
    tags=LINKS,
)
def merge(request: HttpRequest, ref: IncidentRef, payload: MergeRequest) -> dict[str, Any]:
    """Merge this incident (the duplicate) into `into` (the survivor), and
    answer with the survivor. Its timeline entries (marked as moved, times
    and authors kept), tasks, participants, links, alert groups and action
    items move to the survivor; the duplicate is closed, points to the
    survivor (`merged_into`) and stays readable. 404 when you cannot see
    either incident; 422 to merge an incident into itself; 409 when either
    was already merged, or to merge a private incident into a public one
    (it would show private facts to everyone). Responders and admins only."""
    user = responder(request)
    duplicate = get_incident(user, ref)
    survivor = linking.find_incident(user, payload.into, "into")
    return present_incident(linking.merge_incidents(duplicate, actor=user, into=survivor), request)

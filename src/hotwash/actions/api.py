"""API routes for action items, mounted under /api/v1/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from hotwash.accounts.api_auth import caller, responder
from hotwash.actions import services
from hotwash.actions.present import present_item, present_items
from hotwash.actions.queries import ItemFilters, get_item, parse_postmortem, search_items
from hotwash.actions.schemas import (
    ActionItemCreate,
    ActionItemListQuery,
    ActionItemOut,
    ActionItemPage,
    ActionItemPatch,
    ItemRef,
)
from hotwash.core.api.errors import ERRORS
from hotwash.core.api.paging import present_page
from hotwash.core.errors import InvalidInput
from hotwash.incidents.queries import get_incident

router = Router(tags=["Action items"])


@router.get(
    "/action-items",
    response={200: ActionItemPage, **ERRORS},
    summary="List action items",
    operation_id="list_action_items",
)
def list_items(request: HttpRequest, query: Query[ActionItemListQuery]) -> dict[str, Any]:
    """Action items you can see, soonest due first, filtered by owner
    (`mine=true` for your own), team, status, `overdue=true`, incident or
    postmortem. Items of a private incident appear only to those who can see
    the incident."""
    user = caller(request)
    items = search_items(user, ItemFilters.parse(request.GET, user)).select_related("created_by")
    return present_page(
        items,
        request,
        page=query.page,
        per_page=query.per_page,
        render=lambda rows: present_items(rows, request),
    )


@router.post(
    "/action-items",
    response={201: ActionItemOut, **ERRORS},
    summary="Create an action item",
    operation_id="create_action_item",
)
def create(request: HttpRequest, payload: ActionItemCreate) -> Status[dict[str, Any]]:
    """Create an action item on an incident (`incident`) or a postmortem
    (`postmortem`), with exactly one `owner` (a username). `due` defaults from
    policy by the incident's severity and may not be in the past. The
    incident's timeline records it. Responders and admins only."""
    user = responder(request)
    incident = get_incident(user, payload.incident) if payload.incident else None
    postmortem = parse_postmortem(user, payload.postmortem) if payload.postmortem else None
    if incident is None and postmortem is None:
        raise InvalidInput(
            _("Say which incident or postmortem this action item is for."), field="incident"
        )
    item = services.create_action_item(
        actor=user,
        title=payload.title,
        owner=payload.owner,
        due_on=payload.due,
        incident=incident,
        postmortem=postmortem,
        team=payload.team,
        description=payload.description,
        priority=payload.priority,
        kind=payload.kind,
    )
    return Status(201, present_item(get_item(user, item.pk), request))


@router.get(
    "/action-items/{ref}",
    response={200: ActionItemOut, **ERRORS},
    summary="Get an action item",
    operation_id="get_action_item",
)
def read(request: HttpRequest, ref: ItemRef) -> dict[str, Any]:
    """One action item. An item of a private incident you cannot see
    answers 404, exactly like one that does not exist."""
    return present_item(get_item(caller(request), ref), request)


@router.patch(
    "/action-items/{ref}",
    response={200: ActionItemOut, **ERRORS},
    summary="Change an action item",
    operation_id="update_action_item",
)
def update(request: HttpRequest, ref: ItemRef, payload: ActionItemPatch) -> dict[str, Any]:
    """Change the fields sent, and only those. `status`: done records when;
    reopening (open, in_progress) clears it; wont_do needs a `reason`.
    Responders and admins can change any field; the item's owner can change
    its status (and reason). Each change is recorded on the incident's
    timeline and in the audit log."""
    user = caller(request)
    item = get_item(user, ref)
    changes = payload.model_dump(include=payload.model_fields_set)
    services.update_action_item(item, actor=user, changes=changes)
    return present_item(get_item(user, item.pk), request)

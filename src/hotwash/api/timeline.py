"""An incident's timeline: read, append, correct, and see corrections."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from hotwash.core.api.auth import caller, responder
from hotwash.core.errors import NotFound
from hotwash.incidents import present, services
from hotwash.incidents.models import Incident, TimelineEdit, TimelineEvent
from hotwash.incidents.queries import get_incident
from hotwash.incidents.schemas import (
    ERRORS,
    EntryCreate,
    EntryEdit,
    EntryEditOut,
    EntryId,
    EntryOut,
    EntryPage,
    IncidentRef,
    TimelineQuery,
)

router = Router(tags=["Timeline"])


@router.get(
    "/incidents/{ref}/timeline",
    response={200: EntryPage, **ERRORS},
    summary="Read the timeline",
    operation_id="list_timeline",
)
def timeline(request: HttpRequest, ref: IncidentRef, query: Query[TimelineQuery]) -> dict[str, Any]:
    """Entries in the order things happened (back-dated ones in their place).
    Each has its text as a sentence in your language. To poll for new
    entries, pass the largest id you have as `after_id`."""
    incident = get_incident(caller(request), ref)
    entries = TimelineEvent.objects.filter(incident=incident).select_related("author")
    if query.key_moments:
        entries = entries.filter(key_moment=True)
    if query.after_id is not None:
        entries = entries.filter(pk__gt=query.after_id)
    return present.Presenter(request).page(
        entries.order_by("occurred_at", "id"),
        page=query.page,
        per_page=query.per_page,
        render=present.entries,
    )


@router.post(
    "/incidents/{ref}/timeline",
    response={201: EntryOut, **ERRORS},
    summary="Add a note or decision",
    operation_id="add_timeline_entry",
)
def add_entry(
    request: HttpRequest, ref: IncidentRef, payload: EntryCreate
) -> Status[dict[str, Any]]:
    """Write to the timeline, now or back-dated with `occurred_at` (which
    cannot be in the future). Mark it as a key moment to highlight it."""
    user = responder(request)
    incident = get_incident(user, ref)
    event = services.add_timeline_event(incident, actor=user, **payload.model_dump())
    return Status(201, present.entry(event))


@router.patch(
    "/incidents/{ref}/timeline/{entry_id}",
    response={200: EntryOut, **ERRORS},
    summary="Correct a timeline entry",
    operation_id="edit_timeline_entry",
)
def edit_entry(
    request: HttpRequest, ref: IncidentRef, entry_id: EntryId, payload: EntryEdit
) -> dict[str, Any]:
    """Change an entry's text, time or key-moment mark. The values before
    the change are kept: see the entry's history."""
    user = responder(request)
    event = _entry(get_incident(user, ref), entry_id)
    event = services.edit_timeline_event(event, actor=user, **payload.model_dump())
    return present.entry(event)


@router.get(
    "/incidents/{ref}/timeline/{entry_id}/history",
    response={200: list[EntryEditOut], **ERRORS},
    summary="See a timeline entry's corrections",
    operation_id="timeline_entry_history",
)
def entry_history(
    request: HttpRequest, ref: IncidentRef, entry_id: EntryId
) -> list[dict[str, Any]]:
    """Every correction of the entry, oldest first: who, when, before, after."""
    event = _entry(get_incident(caller(request), ref), entry_id)
    edits = TimelineEdit.objects.filter(event=event).select_related("editor")
    return [present.entry_edit(edit) for edit in edits]


def _entry(incident: Incident, entry_id: int) -> TimelineEvent:
    event = (
        TimelineEvent.objects.filter(incident=incident, pk=entry_id)
        .select_related("author")
        .first()
    )
    if event is None:
        raise NotFound(
            _("%(ref)s has no timeline entry %(id)d.") % {"ref": incident.ref, "id": entry_id}
        )
    event.incident = incident  # already loaded; spares the service a query
    return event

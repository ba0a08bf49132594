"""The incidents' API: declare, list, read, change and catch up on
incidents; their timelines, roles, participants and tasks; the severity
levels.

An incident's `version` is its ETag; a change sent with `If-Match` is made
only if the incident is still at that version (412 otherwise), so two
scripts or people editing at once never silently overwrite each other.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from hotwash.accounts.api_auth import caller, responder
from hotwash.core.api.errors import ERRORS, error_body
from hotwash.core.api.paging import present_page
from hotwash.core.errors import InvalidInput, NotFound
from hotwash.incidents import fields as custom_fields
from hotwash.incidents import services
from hotwash.incidents.models import (
    Incident,
    IncidentRole,
    Participant,
    RoleAssignment,
    Severity,
    TimelineEdit,
    TimelineEvent,
)
from hotwash.incidents.present import (
    present_assignment,
    present_catchup,
    present_entries,
    present_entry,
    present_entry_edit,
    present_incident,
    present_incident_type,
    present_incidents,
    present_participant,
    present_severity_level,
    present_task,
    present_vacant_role,
)
from hotwash.incidents.queries import IncidentFilters, build_catchup, get_incident, search_incidents
from hotwash.incidents.schemas import (
    EXPECTED_FIELDS,
    CatchupOut,
    EntryCreate,
    EntryEdit,
    EntryEditOut,
    EntryId,
    EntryOut,
    EntryPage,
    IfMatch,
    IncidentCreate,
    IncidentListQuery,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    IncidentRef,
    IncidentTypeOut,
    ParticipantAdd,
    ParticipantOut,
    RoleAssign,
    RoleOut,
    RolePath,
    RolesOut,
    SeverityOut,
    StaleOut,
    TaskCreate,
    TaskId,
    TaskOut,
    TimelineQuery,
)

router = Router(tags=["Incidents"])
# The other groups of operations in the API docs.
TIMELINE = ["Timeline"]
PEOPLE = ["Roles and participants"]
TASKS = ["Tasks"]
REFERENCE = ["Reference"]


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
    the timeline gets its first entry. Responders and admins only.

    `type` (default: outage) presets the severity and privacy you leave
    out; a type's required `fields` must be sent (422 naming each missing
    or wrong one as `fields.<key>`)."""
    incident = services.declare_incident(actor=responder(request), **payload.model_dump())
    response["ETag"] = etag(incident)
    return Status(201, present_incident(incident, request))


@router.get(
    "/incidents",
    response={200: IncidentPage, **ERRORS},
    summary="List and search incidents",
    operation_id="list_incidents",
)
def list_incidents(request: HttpRequest, query: Query[IncidentListQuery]) -> dict[str, Any]:
    """Incidents you can see, newest first unless `sort` says otherwise,
    filtered by status, severity, service, date range, title text, type,
    custom field values (`field=key:value`), owning team, the trigger
    policy that opened them, how they were detected, and whether they are
    duplicates merged into another incident.
    Private incidents appear only to their participants and admins."""
    filters = IncidentFilters.parse(request.GET)
    # Services and role holders are loaded for the whole page by the presenter.
    incidents = (
        search_incidents(caller(request), filters)
        .prefetch_related(None)
        .select_related("created_by")
    )
    return present_page(
        incidents,
        request,
        page=query.page,
        per_page=query.per_page,
        render=lambda rows: present_incidents(rows, request),
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
    return present_incident(incident, request)


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
    is made whatever the version (the last writer wins).

    `expected_status` / `expected_severity` say what a status or severity
    change was chosen from: if the incident has moved on since, the answer
    is 409 and nothing is changed, whatever else changed meanwhile."""
    user = responder(request)
    incident = get_incident(user, ref)
    expected = expected_version(if_match)
    changes = payload.model_dump(include=payload.model_fields_set)
    based_on = {
        field: changes.pop(name) for name, field in EXPECTED_FIELDS.items() if name in changes
    }
    try:
        incident = services.update_incident(
            incident,
            actor=user,
            changes=changes,
            expected_version=expected,
            expected=based_on,
        )
    except services.StaleVersion as stale:
        return stale_response(stale)
    response["ETag"] = etag(incident)
    return present_incident(incident, request)


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
    return present_catchup(build_catchup(incident), request)


# --- timeline -----------------------------------------------------------------


@router.get(
    "/incidents/{ref}/timeline",
    response={200: EntryPage, **ERRORS},
    summary="Read the timeline",
    operation_id="list_timeline",
    tags=TIMELINE,
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
    return present_page(
        entries.order_by("occurred_at", "id"),
        request,
        page=query.page,
        per_page=query.per_page,
        render=present_entries,
    )


@router.post(
    "/incidents/{ref}/timeline",
    response={201: EntryOut, **ERRORS},
    summary="Add a note or decision",
    operation_id="add_timeline_entry",
    tags=TIMELINE,
)
def add_entry(
    request: HttpRequest, ref: IncidentRef, payload: EntryCreate
) -> Status[dict[str, Any]]:
    """Write to the timeline, now or back-dated with `occurred_at` (which
    cannot be in the future). Mark it as a key moment to highlight it."""
    user = responder(request)
    incident = get_incident(user, ref)
    event = services.add_timeline_event(incident, actor=user, **payload.model_dump())
    return Status(201, present_entry(event))


@router.patch(
    "/incidents/{ref}/timeline/{entry_id}",
    response={200: EntryOut, **ERRORS},
    summary="Correct a timeline entry",
    operation_id="edit_timeline_entry",
    tags=TIMELINE,
)
def edit_entry(
    request: HttpRequest, ref: IncidentRef, entry_id: EntryId, payload: EntryEdit
) -> dict[str, Any]:
    """Change an entry's text, time or key-moment mark. The values before
    the change are kept: see the entry's history."""
    user = responder(request)
    event = _entry(get_incident(user, ref), entry_id)
    event = services.edit_timeline_event(event, actor=user, **payload.model_dump())
    return present_entry(event)


@router.get(
    "/incidents/{ref}/timeline/{entry_id}/history",
    response={200: list[EntryEditOut], **ERRORS},
    summary="See a timeline entry's corrections",
    operation_id="timeline_entry_history",
    tags=TIMELINE,
)
def entry_history(
    request: HttpRequest, ref: IncidentRef, entry_id: EntryId
) -> list[dict[str, Any]]:
    """Every correction of the entry, oldest first: who, when, before, after."""
    event = _entry(get_incident(caller(request), ref), entry_id)
    edits = TimelineEdit.objects.filter(event=event).select_related("editor")
    return [present_entry_edit(edit) for edit in edits]


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


# --- roles and participants -----------------------------------------------------


@router.get(
    "/incidents/{ref}/roles",
    response={200: RolesOut, **ERRORS},
    summary="Who holds each role",
    operation_id="list_roles",
    tags=PEOPLE,
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
            present_assignment(current[role]) if role in current else present_vacant_role(role)
            for role in IncidentRole.values
        ],
        "history": [present_assignment(item) for item in history],
    }


@router.put(
    "/incidents/{ref}/roles/{role}",
    response={200: RoleOut, **ERRORS, 412: StaleOut},
    summary="Assign or hand over a role",
    operation_id="assign_role",
    tags=PEOPLE,
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
        return present_vacant_role(services.clean_role(role))
    return present_assignment(result)


@router.get(
    "/incidents/{ref}/participants",
    response={200: list[ParticipantOut], **ERRORS},
    summary="Who is involved",
    operation_id="list_participants",
    tags=PEOPLE,
)
def participants(request: HttpRequest, ref: IncidentRef) -> list[dict[str, Any]]:
    """Everyone involved, in the order they joined. For a private incident,
    these people (and admins) are the only ones who can see it."""
    incident = get_incident(caller(request), ref)
    people = Participant.objects.filter(incident=incident).select_related("user")
    return [present_participant(item) for item in people.order_by("joined_at", "id")]


@router.post(
    "/incidents/{ref}/participants",
    response={201: list[ParticipantOut], **ERRORS},
    summary="Bring someone in",
    operation_id="add_participant",
    tags=PEOPLE,
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
    return Status(201, [present_participant(item) for item in people.order_by("joined_at", "id")])


# --- tasks ----------------------------------------------------------------------


@router.get(
    "/incidents/{ref}/tasks",
    response={200: list[TaskOut], **ERRORS},
    summary="List tasks",
    operation_id="list_tasks",
    tags=TASKS,
)
def tasks(request: HttpRequest, ref: IncidentRef) -> list[dict[str, Any]]:
    """Every task of the incident, open and done, oldest first."""
    incident = get_incident(caller(request), ref)
    return [present_task(item) for item in incident.tasks.select_related("assignee")]


@router.post(
    "/incidents/{ref}/tasks",
    response={201: TaskOut, **ERRORS},
    summary="Add a task",
    operation_id="add_task",
    tags=TASKS,
)
def add_task(request: HttpRequest, ref: IncidentRef, payload: TaskCreate) -> Status[dict[str, Any]]:
    """Add a piece of work, optionally assigned to someone (who then
    becomes a participant)."""
    user = responder(request)
    incident = get_incident(user, ref)
    assignee = services.find_user(payload.assignee, "assignee") if payload.assignee else None
    task = services.add_task(incident, actor=user, title=payload.title, assignee=assignee)
    return Status(201, present_task(task))


@router.post(
    "/incidents/{ref}/tasks/{task_id}/done",
    response={200: TaskOut, **ERRORS},
    summary="Mark a task done",
    operation_id="complete_task",
    tags=TASKS,
)
def complete(request: HttpRequest, ref: IncidentRef, task_id: TaskId) -> dict[str, Any]:
    """Mark the task done. Marking a done task again changes nothing."""
    user = responder(request)
    incident = get_incident(user, ref)
    task = incident.tasks.select_related("assignee").filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("%(ref)s has no task %(id)d.") % {"ref": incident.ref, "id": task_id})
    task.incident = incident  # already loaded; spares the service a query
    return present_task(services.complete_task(task, actor=user))


# --- reference data -------------------------------------------------------------


@router.get(
    "/severities",
    response={200: list[SeverityOut], **ERRORS},
    summary="Severity levels and their definitions",
    operation_id="list_severities",
    tags=REFERENCE,
)
def severities(request: HttpRequest) -> list[dict[str, Any]]:
    """The organisation's severity levels, most severe first, with the name
    and definition configured for each, in your language."""
    return [present_severity_level(level) for level in Severity.values]


@router.get(
    "/incident-types",
    response={200: list[IncidentTypeOut], **ERRORS},
    summary="Incident types and their fields",
    operation_id="list_incident_types",
    tags=REFERENCE,
)
def incident_types(request: HttpRequest) -> list[dict[str, Any]]:
    """The organisation's incident types, in the order forms list them:
    what each presets, the roles it needs, and its custom fields (names in
    your language, kind, whether required, the choices of a choice field)."""
    return [present_incident_type(key) for key in custom_fields.incident_types()]

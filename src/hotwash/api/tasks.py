"""Tasks during an incident ("check replica lag"), shown in the catch-up."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from hotwash.core.api.auth import caller, responder
from hotwash.core.errors import NotFound
from hotwash.incidents import present, services
from hotwash.incidents.queries import get_incident
from hotwash.incidents.schemas import ERRORS, IncidentRef, TaskCreate, TaskId, TaskOut

router = Router(tags=["Tasks"])


@router.get(
    "/incidents/{ref}/tasks",
    response={200: list[TaskOut], **ERRORS},
    summary="List tasks",
    operation_id="list_tasks",
)
def tasks(request: HttpRequest, ref: IncidentRef) -> list[dict[str, Any]]:
    """Every task of the incident, open and done, oldest first."""
    incident = get_incident(caller(request), ref)
    return [present.task(item) for item in incident.tasks.select_related("assignee")]


@router.post(
    "/incidents/{ref}/tasks",
    response={201: TaskOut, **ERRORS},
    summary="Add a task",
    operation_id="add_task",
)
def add_task(request: HttpRequest, ref: IncidentRef, payload: TaskCreate) -> Status[dict[str, Any]]:
    """Add a piece of work, optionally assigned to someone (who then
    becomes a participant)."""
    user = responder(request)
    incident = get_incident(user, ref)
    assignee = services.find_user(payload.assignee, "assignee") if payload.assignee else None
    task = services.add_task(incident, actor=user, title=payload.title, assignee=assignee)
    return Status(201, present.task(task))


@router.post(
    "/incidents/{ref}/tasks/{task_id}/done",
    response={200: TaskOut, **ERRORS},
    summary="Mark a task done",
    operation_id="complete_task",
)
def complete(request: HttpRequest, ref: IncidentRef, task_id: TaskId) -> dict[str, Any]:
    """Mark the task done. Marking a done task again changes nothing."""
    user = responder(request)
    incident = get_incident(user, ref)
    task = incident.tasks.select_related("assignee").filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("%(ref)s has no task %(id)d.") % {"ref": incident.ref, "id": task_id})
    task.incident = incident  # already loaded; spares the service a query
    return present.task(services.complete_task(task, actor=user))

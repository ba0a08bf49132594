"""The incident page: header, roles, timeline, tasks, participants, and the
forms that change them.

Every GET renders the same live regions (header, roles, timeline, tasks,
participants) so live.js can swap each for its fresh copy. Forms people
type into sit outside those regions, so a live update never wipes what
someone is writing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotwash.accounts.permissions import can_respond
from hotwash.accounts.queries import everyone_except, responders
from hotwash.core.forms import HotwashForm
from hotwash.incidents.forms import (
    EntryForm,
    IncidentForm,
    ParticipantForm,
    RoleForm,
    StatusForm,
    TaskForm,
)
from hotwash.incidents.models import (
    WRITABLE_KINDS,
    Incident,
    IncidentRole,
    Participant,
    RoleAssignment,
    TaskStatus,
    TimelineEdit,
    TimelineEvent,
)
from hotwash.incidents.type_forms import TypeForm
from hotwash.incidents.views.common import incident_or_404, live_events_url

# Whole phrases per role, so each language can say them its own way.
TAKE_LABELS: dict[str, Promise] = {
    IncidentRole.COMMANDER: _("Take command"),
    IncidentRole.SCRIBE: _("Become scribe"),
    IncidentRole.COMMUNICATIONS: _("Take communications"),
    IncidentRole.OPERATIONS: _("Take operations"),
}
STEP_DOWN_LABELS: dict[str, Promise] = {
    IncidentRole.COMMANDER: _("Step down as commander"),
    IncidentRole.SCRIBE: _("Step down as scribe"),
    IncidentRole.COMMUNICATIONS: _("Step down as communications lead"),
    IncidentRole.OPERATIONS: _("Step down as operations lead"),
}
ASSIGN_LABELS: dict[str, Promise] = {
    IncidentRole.COMMANDER: _("New incident commander"),
    IncidentRole.SCRIBE: _("New scribe"),
    IncidentRole.COMMUNICATIONS: _("New communications lead"),
    IncidentRole.OPERATIONS: _("New operations lead"),
}
RECENTLY_DONE = 10


@dataclass
class RoleRow:
    role: str
    label: str
    current: RoleAssignment | None
    take_label: str
    step_down_label: str
    form: RoleForm | None

    @property
    def holder(self) -> Any:
        return self.current.user if self.current is not None else None


@login_required
def incident_detail(request: HttpRequest, ref: str) -> HttpResponse:
    return render_incident(request, incident_or_404(request, ref))


def render_incident(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict[str, HotwashForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, with `bound` replacing the blank forms of the same name
    (a form sent back with its errors)."""
    context = page_context(request, incident, bound or {})
    return render(request, "incidents/detail.html", context, status=status)


def page_context(
    request: HttpRequest, incident: Incident, bound: dict[str, HotwashForm]
) -> dict[str, Any]:
    user = request.user
    services = list(incident.services.all())
    assignments = list(
        incident.role_assignments.select_related("user", "assigned_by").order_by("started_at", "id")
    )
    tasks = list(incident.tasks.select_related("assignee"))
    participants = list(
        Participant.objects.filter(incident=incident).select_related("user").order_by("joined_at")
    )
    responder = can_respond(user)
    context: dict[str, Any] = {
        "nav": "list",
        "incident": incident,
        "services": services,
        "timeline": _timeline(incident),
        "role_history": assignments,
        "open_tasks": [t for t in tasks if t.status == TaskStatus.OPEN],
        "done_tasks": [t for t in tasks if t.status == TaskStatus.DONE][-RECENTLY_DONE:],
        "participants": participants,
        "can_respond": responder,
        "editable_kinds": WRITABLE_KINDS,
        "live_events_url": live_events_url(incident),
    }
    current = {a.role: a for a in assignments if a.ended_at is None}
    if not responder:
        context["roles"] = _role_rows(current, people=None, bound=bound)
        return context
    people = responders()
    context["roles"] = _role_rows(current, people=people, bound=bound)
    context.update(_blank_forms(incident, services, people, participants))
    context.update(bound)
    context["error_form"] = next((form for form in bound.values() if form.errors), None)
    context["edit_open"] = "edit_form" in bound
    context["type_open"] = "type_form" in bound
    return context


def _timeline(incident: Incident) -> list[TimelineEvent]:
    edits = TimelineEdit.objects.select_related("editor").order_by("edited_at", "id")
    return list(
        TimelineEvent.objects.filter(incident=incident)
        .select_related("author")
        .prefetch_related(Prefetch("edits", queryset=edits))
        .order_by("occurred_at", "id")
    )


def _role_rows(
    current: dict[str, RoleAssignment],
    *,
    people: list[tuple[str, str]] | None,
    bound: dict[str, HotwashForm],
) -> list[RoleRow]:
    rows = []
    for role, label in IncidentRole.choices:
        form = bound.get(f"role_form_{role}")
        if form is None and people is not None:
            form = RoleForm(role=role, label=str(ASSIGN_LABELS[role]), people=people)
        rows.append(
            RoleRow(
                role=role,
                label=str(label),
                current=current.get(role),
                take_label=str(TAKE_LABELS[role]),
                step_down_label=str(STEP_DOWN_LABELS[role]),
                form=form if isinstance(form, RoleForm) else None,
            )
        )
    return rows


def _blank_forms(
    incident: Incident,
    services: list[Any],
    people: list[tuple[str, str]],
    participants: list[Participant],
) -> dict[str, HotwashForm]:
    return {
        "status_form": StatusForm(initial={"status": incident.status}),
        "edit_form": IncidentForm(incident=incident, services=[s.name for s in services]),
        "type_form": TypeForm(incident=incident),
        "entry_form": EntryForm(),
        "task_form": TaskForm(people=people),
        "participant_form": ParticipantForm(
            people=everyone_except({p.user_id for p in participants})
        ),
    }

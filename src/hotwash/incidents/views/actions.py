"""POST handlers of the incident page: parse the form, call the service,
redirect (POST/redirect/GET) with a message; on a DomainError show the page
again with the error on the field it names.

The forms that change the incident itself (status, details, roles) send
the incident's version they were rendered with, and the status form (and
the details form's severity) also the state the person chose from; the
service refuses a change made against an older one (someone else changed
the incident meanwhile), and the page comes back with the latest state,
what the person typed, and a message saying why (409)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from hotwash.accounts.queries import everyone_except, responders
from hotwash.core.errors import DomainError, InvalidInput, NotFound
from hotwash.core.forms import HotwashForm
from hotwash.incidents import services
from hotwash.incidents.display import role_in_sentence
from hotwash.incidents.forms import (
    EntryForm,
    IncidentForm,
    ParticipantForm,
    RoleForm,
    StatusForm,
    TaskForm,
)
from hotwash.incidents.models import Incident, IncidentRole, Status, Task
from hotwash.incidents.views.common import display_name, incident_action, to_incident
from hotwash.incidents.views.detail import ASSIGN_LABELS, render_incident

VERSION_DIGITS_MAX = 18


def _expected_version(request: HttpRequest) -> int | None:
    """The incident version the form was rendered with; None when the form
    sent none (a client of its own), which changes whatever the version."""
    text = (request.POST.get("version") or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= VERSION_DIGITS_MAX:
        return int(text)
    raise InvalidInput(
        _("This form was sent without a valid version of the incident; reload the page."),
        field="version",
    )


def _failed(
    request: HttpRequest, incident: Incident, name: str, form: HotwashForm, error: DomainError
) -> HttpResponse:
    if error.status_code == 404:
        raise Http404(error.message)
    form.attach(error)
    # A stale form is a conflict with someone else's change (the API's 412
    # is about its If-Match header, which a browser does not send).
    status = 409 if isinstance(error, services.StaleVersion) else error.status_code
    return render_incident(request, incident, bound={name: form}, status=status)


def _invalid(
    request: HttpRequest, incident: Incident, name: str, form: HotwashForm
) -> HttpResponse:
    """A form Django itself could not parse (a malformed time)."""
    return render_incident(request, incident, bound={name: form}, status=422)


@incident_action
def change_status(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = StatusForm(request.POST)
    form.is_valid()
    try:
        incident = services.set_status(
            incident,
            actor=request.user,
            status=form.value("status"),
            expected_version=_expected_version(request),
            expected_status=request.POST.get("expected_status") or None,
        )
    except DomainError as error:
        return _failed(request, incident, "status_form", form, error)
    messages.success(
        request, _("Status is now %(status)s.") % {"status": Status(incident.status).label}
    )
    return to_incident(incident, "status")


@incident_action
def edit_incident(request: HttpRequest, incident: Incident) -> HttpResponse:
    names = list(incident.services.values_list("name", flat=True))
    form = IncidentForm(request.POST, incident=incident, services=names)
    if not form.is_valid():
        return _invalid(request, incident, "edit_form", form)
    changes = form.changes()
    if not changes:
        messages.info(request, _("Nothing changed."))
        return to_incident(incident)
    try:
        services.update_incident(
            incident,
            actor=request.user,
            changes=changes,
            expected_version=_expected_version(request),
            expected=form.expected(),
        )
    except DomainError as error:
        return _failed(request, incident, "edit_form", form, error)
    messages.success(request, _("Incident details saved."))
    return to_incident(incident)


@incident_action
def add_entry(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = EntryForm(request.POST)
    if not form.is_valid():
        return _invalid(request, incident, "entry_form", form)
    try:
        event = services.add_timeline_event(
            incident,
            actor=request.user,
            body=form.cleaned_data["body"],
            kind=form.cleaned_data["kind"] or "note",
            occurred_at=form.cleaned_data["occurred_at"],
            key_moment=form.cleaned_data["key_moment"],
        )
    except DomainError as error:
        return _failed(request, incident, "entry_form", form, error)
    messages.success(request, _("Added to the timeline."))
    return to_incident(incident, f"event-{event.pk}")


@incident_action
def take_role(request: HttpRequest, incident: Incident) -> HttpResponse:
    """One tap: the signed-in person takes the role."""
    role = request.POST.get("role", "")
    user = request.user
    if not isinstance(user, User):  # incident_action let in only signed-in people
        raise PermissionDenied
    return _assign(request, incident, role, user)


@incident_action
def step_down(request: HttpRequest, incident: Incident) -> HttpResponse:
    """Leave a role vacant; only its holder steps down this way."""
    role = request.POST.get("role", "")
    holder = incident.role_assignments.filter(role=role, ended_at__isnull=True).first()
    if holder is None or holder.user_id != request.user.pk:
        messages.info(request, _("You do not hold that role."))
        return to_incident(incident, "roles")
    return _assign(request, incident, role, None)


@incident_action
def assign_role(request: HttpRequest, incident: Incident) -> HttpResponse:
    role = request.POST.get("role", "")
    try:
        role = services.clean_role(role)
    except DomainError as error:
        raise Http404(error.message) from None
    form = RoleForm(request.POST, role=role, label=str(ASSIGN_LABELS[role]), people=responders())
    form.is_valid()
    try:
        user = services.find_user(form.value("user") or "", field="user")
    except DomainError as error:
        return _failed(request, incident, f"role_form_{role}", form, error)
    return _assign(request, incident, role, user, form=form)


def _assign(
    request: HttpRequest,
    incident: Incident,
    role: str,
    user: User | None,
    *,
    form: RoleForm | None = None,
) -> HttpResponse:
    try:
        services.assign_role(
            incident,
            actor=request.user,
            role=role,
            user=user,
            expected_version=_expected_version(request),
        )
    except DomainError as error:
        if form is None:
            messages.error(request, error.message)
            return to_incident(incident, "roles")
        return _failed(request, incident, f"role_form_{role}", form, error)
    if user is None:
        text = _("%(role)s is now vacant.") % {"role": IncidentRole(role).label}
    elif user.pk == request.user.pk:
        text = _("You are now %(role)s.") % {"role": role_in_sentence(role)}
    else:
        text = _("%(person)s is now %(role)s.") % {
            "person": display_name(user),
            "role": role_in_sentence(role),
        }
    messages.success(request, text)
    return to_incident(incident, "roles")


@incident_action
def add_task(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = TaskForm(request.POST, people=responders())
    form.is_valid()
    try:
        username = form.value("assignee") or ""
        assignee = services.find_user(username, field="assignee") if username else None
        services.add_task(
            incident, actor=request.user, title=form.value("title"), assignee=assignee
        )
    except DomainError as error:
        return _failed(request, incident, "task_form", form, error)
    messages.success(request, _("Task added."))
    return to_incident(incident, "tasks")


@incident_action
def complete_task(request: HttpRequest, incident: Incident, task_id: int) -> HttpResponse:
    task = Task.objects.filter(incident=incident, pk=task_id).first()
    if task is None:
        raise Http404(_("No such task."))
    task.incident = incident  # already loaded; saves a query in the service
    try:
        services.complete_task(task, actor=request.user)
    except NotFound as error:
        raise Http404(error.message) from None
    messages.success(request, _("Task “%(title)s” is done.") % {"title": task.title})
    return to_incident(incident, "tasks")


@incident_action
def add_participant(request: HttpRequest, incident: Incident) -> HttpResponse:
    present = set(incident.participant_set.values_list("user_id", flat=True))
    form = ParticipantForm(request.POST, people=everyone_except(present))
    form.is_valid()
    try:
        user = services.find_user(form.value("user") or "", field="user")
        services.add_participant(incident, actor=request.user, user=user)
    except DomainError as error:
        return _failed(request, incident, "participant_form", form, error)
    messages.success(
        request,
        _("%(person)s is now a participant of %(ref)s.")
        % {"person": display_name(user), "ref": incident.ref},
    )
    return to_incident(incident, "participants")

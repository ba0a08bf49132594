"""Pages for action items: the list (my items by default), one item with
its changes, the create form, and the follow-through dashboard.

Views parse, call a service and redirect (POST/redirect/GET); a DomainError
shows the form again with the message on the field it names."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotwash.accounts.permissions import can_respond
from hotwash.accounts.queries import everyone_except
from hotwash.actions import dashboard as follow_through
from hotwash.actions import services
from hotwash.actions.forms import CreateForm, EditForm, FilterForm, StatusForm
from hotwash.actions.models import ActionItem, Status
from hotwash.actions.queries import ACTIVE, ItemFilters, get_item, parse_postmortem, search_items
from hotwash.core.errors import DomainError, InvalidInput, NotFound
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident
from hotwash.incidents.queries import get_incident
from hotwash.postmortems.models import Postmortem
from hotwash.teams.models import Team

PER_PAGE = 50
HISTORY_LIMIT = 50


def _teams() -> list[tuple[str, str]]:
    return list(Team.objects.order_by("name").values_list("slug", "name"))


def _item_or_404(request: HttpRequest, pk: int) -> ActionItem:
    try:
        return get_item(request.user, pk)
    except NotFound as error:
        raise Http404(error.message) from None


def _to_item(item: ActionItem) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("actions:detail", args=[item.pk]))


# --- the list ---------------------------------------------------------------


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    """With no query string, a signed-in person sees their own items still
    to do ("My action items"); any filter shows everything it matches."""
    params: QueryDict = request.GET
    # Only a page number: still the default view (its pagination links).
    mine_default = not [name for name in params if name != "page"]
    if mine_default:
        params = QueryDict(mutable=True)
        params.update({"owner": request.user.get_username(), "status": ACTIVE})
    people = everyone_except(set())
    form = FilterForm(params, people=people, teams=_teams())
    form.is_valid()
    items = ActionItem.objects.none()
    status = 200
    try:
        filters = ItemFilters.parse(params, request.user)
        items = search_items(request.user, filters)
    except (InvalidInput, NotFound) as error:
        form.attach(error)
        status = 400
    paginator = Paginator(items, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "nav": "action-items",
        "form": form,
        "error_form": form if form.errors else None,
        "mine_default": mine_default,
        "page": page,
        "items": list(page.object_list),
        "today": timezone.localdate(),
        "can_respond": can_respond(request.user),
    }
    return render(request, "actions/list.html", context, status=status)


# --- one item ---------------------------------------------------------------


def _edit_initial(item: ActionItem) -> dict[str, Any]:
    # In the reader's words; only fields the person changes are written
    # (EditForm.changes), so an untouched title stays in every language.
    return {
        "title": item.display_title,
        "owner": item.owner.get_username() if item.owner is not None else "",
        "due": item.due_on.isoformat() if item.due_on else "",
        "priority": item.priority,
        "kind": item.kind,
        "team": item.team.slug if item.team is not None else "",
        "description": item.display_description,
    }


def _render_item(
    request: HttpRequest,
    item: ActionItem,
    *,
    edit_form: EditForm | None = None,
    status_form: StatusForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_edit = services.can_edit_item(request.user, item)
    can_status = services.can_change_status(request.user, item)
    if can_edit and edit_form is None:
        edit_form = EditForm(
            initial=_edit_initial(item), people=everyone_except(set()), teams=_teams()
        )
    if can_status and status_form is None:
        status_form = StatusForm(initial={"status": item.status, "reason": item.wont_do_reason})
    history = (
        AuditRecord.objects.filter(object_type="actions.actionitem", object_id=str(item.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:HISTORY_LIMIT]
    )
    bound = [form for form in (edit_form, status_form) if form is not None and form.errors]
    context = {
        "nav": "action-items",
        "item": item,
        "today": timezone.localdate(),
        "overdue": item.is_overdue(timezone.localdate()),
        "edit_form": edit_form if can_edit else None,
        "status_form": status_form if can_status else None,
        "error_form": bound[0] if bound else None,
        "history": list(history),
        "postmortem_url": _postmortem_url(item.postmortem),
    }
    return render(request, "actions/detail.html", context, status=status)


def _postmortem_url(postmortem: Postmortem | None) -> str:
    """The postmortem's page, if the postmortems app has one."""
    if postmortem is None:
        return ""
    try:
        return reverse("postmortems:detail", args=[postmortem.pk])
    except NoReverseMatch:
        return ""


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_item(request, _item_or_404(request, pk))


@login_required
@require_POST
def edit_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_or_404(request, pk)
    if not services.can_edit_item(request.user, item):
        raise PermissionDenied
    form = EditForm(
        request.POST, initial=_edit_initial(item), people=everyone_except(set()), teams=_teams()
    )
    if not form.is_valid():
        return _render_item(request, item, edit_form=form, status=422)
    changes = form.changes()
    if not changes:
        messages.info(request, _("Nothing changed."))
        return _to_item(item)
    try:
        services.update_action_item(item, actor=request.user, changes=changes)
    except DomainError as error:
        form.attach(error)
        return _render_item(request, item, edit_form=form, status=error.status_code)
    messages.success(request, _("Action item saved."))
    return _to_item(item)


@login_required
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_or_404(request, pk)
    if not services.can_change_status(request.user, item):
        raise PermissionDenied
    form = StatusForm(request.POST)
    form.is_valid()
    try:
        item = services.update_action_item(item, actor=request.user, changes=form.changes())
    except DomainError as error:
        form.attach(error)
        return _render_item(request, item, status_form=form, status=error.status_code)
    messages.success(
        request,
        _("%(ref)s is now %(status)s.") % {"ref": item.ref, "status": Status(item.status).label},
    )
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        return HttpResponseRedirect(next_url)
    return _to_item(item)


# --- creating ---------------------------------------------------------------


def _links(request: HttpRequest, data: QueryDict) -> tuple[Incident | None, Postmortem | None]:
    """The incident or postmortem the new item is for, if the person may
    see it (404 otherwise, like the pages of either)."""
    try:
        incident_ref = str(data.get("incident") or "")
        postmortem_ref = str(data.get("postmortem") or "")
        incident = get_incident(request.user, incident_ref) if incident_ref else None
        postmortem = parse_postmortem(request.user, postmortem_ref) if postmortem_ref else None
    except (NotFound, InvalidInput) as error:
        raise Http404(error.message) from None
    if incident is None and postmortem is None:
        raise Http404(_("Open the form from an incident or a postmortem."))
    return incident, postmortem


@login_required
def create_item(request: HttpRequest) -> HttpResponse:
    if not can_respond(request.user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    incident, postmortem = _links(request, data)
    people = everyone_except(set())
    if request.method != "POST":
        form = CreateForm(
            initial={
                "incident": incident.ref if incident is not None else "",
                "postmortem": postmortem.pk if postmortem is not None else "",
                "priority": "medium",
                "kind": "prevent",
            },
            people=people,
            teams=_teams(),
        )
        return _render_create(request, form, incident, postmortem)
    form = CreateForm(request.POST, people=people, teams=_teams())
    form.is_valid()
    try:
        item = services.create_action_item(
            actor=request.user, incident=incident, postmortem=postmortem, **form.creation()
        )
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from None
        form.attach(error)
        return _render_create(request, form, incident, postmortem, status=error.status_code)
    messages.success(
        request,
        _("Action item %(ref)s created, due %(due)s.")
        % {"ref": item.ref, "due": item.due_on.isoformat() if item.due_on else ""},
    )
    return _to_item(item)


def _render_create(
    request: HttpRequest,
    form: CreateForm,
    incident: Incident | None,
    postmortem: Postmortem | None,
    status: int = 200,
) -> HttpResponse:
    severity = incident.severity if incident is not None else None
    context = {
        "nav": "action-items",
        "form": form,
        "error_form": form if form.errors else None,
        "incident": incident,
        "postmortem": postmortem,
        "postmortem_url": _postmortem_url(postmortem),
        "default_due": services.default_due_on(severity),
    }
    return render(request, "actions/create.html", context, status=status)


# --- the dashboard ----------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    period = follow_through.parse_period(request.GET.get("period"))
    board = follow_through.build(request.user, period=period)
    context = {
        "nav": "action-items-dashboard",
        "board": board,
        "periods": follow_through.PERIODS,
        "period": period,
        "postmortems_url": _postmortems_url(),
    }
    return render(request, "actions/dashboard.html", context)


def _postmortems_url() -> str:
    try:
        return reverse("postmortems:list")
    except NoReverseMatch:
        return ""

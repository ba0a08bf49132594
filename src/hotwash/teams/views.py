"""Pages of the service catalog, under the language prefix at
/<lang>/services/: the list (with owners; search, filter by team), one
service (owners and their contacts, escalation, runbooks, chat channel, the
incidents of it the reader may see), and the forms to add or change one.

Views parse, call a service and redirect (POST/redirect/GET); a DomainError
shows the form again with the message on the field it names."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from hotwash.core.errors import DomainError, NotFound
from hotwash.incidents.models import Service
from hotwash.teams import services
from hotwash.teams.forms import FilterForm, ServiceForm
from hotwash.teams.queries import (
    CatalogFilters,
    get_service,
    recent_incidents,
    search_services,
    team_choices,
)

PER_PAGE = 100


def _service_or_404(request: HttpRequest, name: str) -> Service:
    try:
        return get_service(request.user, name)
    except NotFound as error:
        raise Http404(error.message) from None


def _to_service(service: Service) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("teams:service", args=[service.name]))


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET, teams=team_choices())
    form.is_valid()
    status = 200
    rows = Service.objects.none()
    try:
        rows = search_services(
            request.user,
            CatalogFilters.parse(request.GET.get("q", ""), request.GET.get("team", "")),
        )
    except DomainError as error:
        form.attach(error)
        status = error.status_code if error.status_code != 422 else 400
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "nav": "services",
        "form": form,
        "error_form": form if form.errors else None,
        "filtered": bool(request.GET.get("q") or request.GET.get("team")),
        "page": page,
        "services": list(page.object_list),
        "can_add": services.can_add_service(request.user),
    }
    return render(request, "teams/service_list.html", context, status=status)


@login_required
def service_detail(request: HttpRequest, name: str) -> HttpResponse:
    service = _service_or_404(request, name)
    owners = [
        {"team": team, "members": list(team.members.filter(is_active=True).order_by("username"))}
        for team in service.teams.all()
    ]
    context = {
        "nav": "services",
        "service": service,
        "owners": owners,
        "incidents": recent_incidents(request.user, service),
        "can_edit": services.can_edit_service(request.user, service),
    }
    return render(request, "teams/service_detail.html", context)


def _render_form(
    request: HttpRequest, form: ServiceForm, service: Service | None, status: int = 200
) -> HttpResponse:
    context = {
        "nav": "services",
        "form": form,
        "error_form": form if form.errors else None,
        "service": service,
    }
    return render(request, "teams/service_form.html", context, status=status)


def _save(
    request: HttpRequest, form: ServiceForm, service: Service | None
) -> tuple[Service | None, bool, HttpResponse | None]:
    """Run the form through the services: (the service, whether anything
    changed, or the page with the form's errors)."""
    if not form.is_valid():
        return None, False, _render_form(request, form, service, status=422)
    try:
        fields: dict[str, Any] = form.fields_sent()
        if service is None:
            return services.create_service(actor=request.user, **fields), True, None
        changed = services.update_service(service, actor=request.user, changes=fields)
        return service, bool(changed), None
    except DomainError as error:
        if error.status_code == 403:
            raise PermissionDenied from None
        form.attach(error)
        return None, False, _render_form(request, form, service, status=error.status_code)


@login_required
def service_create(request: HttpRequest) -> HttpResponse:
    if not services.can_add_service(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return _render_form(request, ServiceForm(teams=team_choices()), None)
    form = ServiceForm(request.POST, teams=team_choices())
    saved, _changed, failed = _save(request, form, None)
    if failed is not None or saved is None:
        assert failed is not None
        return failed
    messages.success(request, _("Service %(name)s added.") % {"name": saved.name})
    return _to_service(saved)


@login_required
def service_edit(request: HttpRequest, name: str) -> HttpResponse:
    service = _service_or_404(request, name)
    if not services.can_edit_service(request.user, service):
        raise PermissionDenied
    owners = [team.slug for team in service.teams.all()]
    if request.method != "POST":
        initial = ServiceForm.initial_for(service, owners)
        return _render_form(request, ServiceForm(initial=initial, teams=team_choices()), service)
    form = ServiceForm(request.POST, teams=team_choices())
    saved, changed, failed = _save(request, form, service)
    if failed is not None or saved is None:
        assert failed is not None
        return failed
    if changed:
        messages.success(request, _("Service %(name)s saved.") % {"name": saved.name})
    else:
        messages.info(request, _("Nothing changed."))
    return _to_service(saved)

"""The home page: declare an incident in one field; see what is open."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.core.errors import DomainError
from hotwash.incidents.forms import DeclareForm
from hotwash.incidents.models import OPEN_STATUSES
from hotwash.incidents.queries import visible_incidents
from hotwash.incidents.services import declare_incident
from hotwash.incidents.views.common import to_incident

OPEN_ON_HOME = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _declare(request)
    return _render(request, DeclareForm() if can_respond(request.user) else None)


def _declare(request: HttpRequest) -> HttpResponse:
    if not can_respond(request.user):
        raise PermissionDenied
    form = DeclareForm(request.POST)
    form.is_valid()  # lenient fields: this only parses
    try:
        incident = declare_incident(actor=request.user, **form.declaration())
    except DomainError as error:
        form.attach(error)
        return _render(request, form, status=error.status_code)
    messages.success(
        request,
        _("%(ref)s declared. Take command, then tell the timeline what you know.")
        % {"ref": incident.ref},
    )
    return to_incident(incident)


def _render(request: HttpRequest, form: DeclareForm | None, status: int = 200) -> HttpResponse:
    open_incidents = (
        visible_incidents(request.user)
        .filter(status__in=OPEN_STATUSES)
        .order_by("severity", "-declared_at", "-id")
        .prefetch_related("services")
    )
    shown = list(open_incidents[: OPEN_ON_HOME + 1])
    context = {
        "nav": "home",
        "form": form,
        "error_form": form if form is not None and form.errors else None,
        "open_incidents": shown[:OPEN_ON_HOME],
        "more_open": len(shown) > OPEN_ON_HOME,
    }
    return render(request, "incidents/home.html", context, status=status)

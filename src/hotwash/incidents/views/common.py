"""Helpers every incident view shares: finding the incident the way the
rest of Hotwash does (private ones stay hidden), who may act. The people
pickers' lists are in `hotwash.accounts.queries`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from hotwash.accounts.permissions import can_respond
from hotwash.core.errors import NotFound
from hotwash.incidents.models import Incident
from hotwash.incidents.queries import get_incident

IncidentView = Callable[..., HttpResponse]


def incident_or_404(request: HttpRequest, ref: str) -> Incident:
    """The incident, or 404 also when it is private and not the viewer's."""
    try:
        return get_incident(request.user, ref)
    except NotFound as error:
        raise Http404(error.message) from None


def incident_action(view: IncidentView) -> IncidentView:
    """Wrap a POST handler for one incident: signed in, the incident
    visible (404 before 403, so a private incident's existence stays
    private), a responder. A GET of an action address lands on the
    incident page, which is also what a live refresh of an error page
    fetches."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, ref: str, **kwargs: Any) -> HttpResponse:
        incident = incident_or_404(request, ref)
        if request.method != "POST":
            return redirect("incidents:detail", incident.ref)
        if not can_respond(request.user):
            raise PermissionDenied
        return view(request, incident, **kwargs)

    return wrapper


def to_incident(incident: Incident, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("incidents:detail", args=[incident.ref])
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


def live_events_url(incident: Incident) -> str:
    """Where live.js listens for this incident's changes; empty when the
    live app is not installed, so the page still works."""
    try:
        return reverse("live:incident-events", args=[incident.pk])
    except NoReverseMatch:
        return ""


def display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()

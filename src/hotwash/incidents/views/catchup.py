"""The catch-up page: where things stand, for someone joining now."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hotwash.incidents.models import IncidentRole
from hotwash.incidents.queries import build_catchup
from hotwash.incidents.views.common import incident_or_404, live_events_url


@login_required
def incident_catchup(request: HttpRequest, ref: str) -> HttpResponse:
    incident = incident_or_404(request, ref)
    catchup = build_catchup(incident)
    roles = [(str(label), catchup.roles.get(role)) for role, label in IncidentRole.choices]
    context = {
        "nav": "list",
        "incident": incident,
        "catchup": catchup,
        "roles": roles,
        "live_events_url": live_events_url(incident),
    }
    return render(request, "incidents/catchup.html", context)

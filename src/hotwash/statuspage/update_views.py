"""Publishing a stakeholder update from the incident page.

The form sits on the incident page (templatetags.statuspage_updates). It
posts here: a published update goes back to the incident page; an update
with errors, or with findings of the blameless-language assistant not yet
confirmed, is shown on its own page with the errors next to their fields
and the findings listed, so the author can reword or publish anyway.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.core.errors import DomainError
from hotwash.incidents.models import Incident
from hotwash.incidents.views.common import incident_or_404, to_incident
from hotwash.statuspage import services
from hotwash.statuspage.forms import UpdateForm
from hotwash.statuspage.models import Audience

PANEL = "stakeholder-updates"


@login_required
def publish(request: HttpRequest, ref: str) -> HttpResponse:
    incident = incident_or_404(request, ref)
    if request.method != "POST":
        return redirect("incidents:detail", incident.ref)
    if not can_respond(request.user):
        raise PermissionDenied
    form = UpdateForm(request.POST)
    if not form.is_valid():
        return _render(request, incident, form, status=422)
    data = form.cleaned_data
    try:
        _audience, _status, texts = services.clean_update(
            incident, audience=data["audience"], status=data["status"], text=form.texts()
        )
        if not data["publish_anyway"]:
            findings = services.check_wording(incident, texts)
            if findings:
                return _render(request, incident, form, findings=findings)
        services.publish_update(
            incident,
            actor=request.user,
            audience=data["audience"],
            status=data["status"],
            text=form.texts(),
        )
    except DomainError as error:
        form.attach(error)
        return _render(request, incident, form, status=error.status_code)
    if data["audience"] == Audience.PUBLIC:
        messages.success(request, _("Public update published."))
    else:
        messages.success(request, _("Internal update published."))
    return to_incident(incident, PANEL)


def _render(
    request: HttpRequest,
    incident: Incident,
    form: UpdateForm,
    *,
    findings: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "nav": "list",
        "incident": incident,
        "form": form,
        "error_form": form if form.errors else None,
        "findings": [
            {"language": language, "finding": finding}
            for language, found in (findings or {}).items()
            for finding in found
        ],
    }
    return render(request, "statuspage/updates/publish.html", context, status=status)

"""The incident page's "Type and fields" form: change the incident's type
and its custom fields' values (`update_incident` with `type` and `fields`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from hotwash.core.errors import DomainError
from hotwash.incidents import services
from hotwash.incidents.models import Incident
from hotwash.incidents.type_forms import TypeForm
from hotwash.incidents.views.actions import _expected_version, _failed
from hotwash.incidents.views.common import incident_action, to_incident


@incident_action
def edit_type(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = TypeForm(request.POST, incident=incident)
    form.is_valid()  # lenient fields: this only parses
    try:
        updated = services.update_incident(
            incident,
            actor=request.user,
            changes=form.changes(),
            expected_version=_expected_version(request),
        )
    except DomainError as error:
        return _failed(request, incident, "type_form", form, error)
    if updated.version == incident.version:
        messages.info(request, _("Nothing changed."))
    else:
        messages.success(request, _("Type and fields saved."))
    return to_incident(updated, "type-and-fields")

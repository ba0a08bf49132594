"""The quick question "How was this detected?", asked on the incident page
when the declaration did not say."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from hotwash.core.errors import Conflict, DomainError
from hotwash.incidents import services
from hotwash.incidents.forms import DetectionForm
from hotwash.incidents.models import Incident
from hotwash.incidents.views.common import incident_action, to_incident
from hotwash.incidents.views.detail import render_incident


@incident_action
def record_detection(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = DetectionForm(request.POST)
    form.is_valid()  # lenient: the service checks the answer
    try:
        incident = services.record_detection(
            incident, actor=request.user, detection_source=form.value("detection_source")
        )
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from error
        if isinstance(error, Conflict):
            # Answered meanwhile: the page shows that answer and no longer
            # asks, so the message stands alone at the top, not on a field.
            form.add_error(None, error.message)
        else:
            form.attach(error)
        return render_incident(
            request, incident, bound={"detection_form": form}, status=error.status_code
        )
    messages.success(
        request,
        _("Detection recorded: %(source)s.") % {"source": incident.get_detection_source_display()},
    )
    return to_incident(incident)

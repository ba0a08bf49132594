"""Correcting a timeline entry, on its own page.

The timeline is a live region that refreshes whenever anyone changes the
incident; an edit form inside it could be replaced while someone types, so
the correction happens here instead.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.core.errors import DomainError
from hotwash.incidents import services
from hotwash.incidents.forms import EntryEditForm
from hotwash.incidents.models import WRITABLE_KINDS, Incident, TimelineEvent
from hotwash.incidents.views.common import incident_or_404, to_incident


@login_required
def edit_entry(request: HttpRequest, ref: str, event_id: int) -> HttpResponse:
    incident = incident_or_404(request, ref)
    event = _editable_event(incident, event_id)
    if not can_respond(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return _render(request, incident, event, EntryEditForm(event=event))
    form = EntryEditForm(request.POST, event=event)
    if not form.is_valid():
        return _render(request, incident, event, form, status=422)
    changes = form.changes()
    if not changes:
        messages.info(request, _("Nothing changed."))
        return to_incident(incident, f"event-{event.pk}")
    try:
        services.edit_timeline_event(event, actor=request.user, **changes)
    except DomainError as error:
        form.attach(error)
        return _render(request, incident, event, form, status=error.status_code)
    messages.success(request, _("Entry corrected. The earlier version is kept in its history."))
    return to_incident(incident, f"event-{event.pk}")


def _editable_event(incident: Incident, event_id: int) -> TimelineEvent:
    """Notes and decisions people wrote; Hotwash's own entries record
    facts (a status change) and are corrected by changing the fact."""
    event = (
        TimelineEvent.objects.filter(incident=incident, pk=event_id, kind__in=WRITABLE_KINDS)
        .select_related("author")
        .first()
    )
    if event is None:
        raise Http404(_("No such timeline entry."))
    event.incident = incident
    return event


def _render(
    request: HttpRequest,
    incident: Incident,
    event: TimelineEvent,
    form: EntryEditForm,
    status: int = 200,
) -> HttpResponse:
    context = {
        "nav": "list",
        "incident": incident,
        "event": event,
        "form": form,
        "error_form": form if form.errors else None,
    }
    return render(request, "incidents/entry_edit.html", context, status=status)

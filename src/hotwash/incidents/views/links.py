"""Linking incidents and merging a duplicate, from the incident page.

Adding and removing a link are POST actions of the incident page. Merging
has a page of its own: it names the survivor, says what will move (and
who will newly see a private survivor) and asks for confirmation; only the
confirmed POST merges.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.core.errors import DomainError, NotFound
from hotwash.incidents import linking
from hotwash.incidents.link_forms import LinkForm, MergeForm
from hotwash.incidents.models import Incident, LinkKind
from hotwash.incidents.views.common import incident_action, incident_or_404, to_incident
from hotwash.incidents.views.detail import render_incident


@incident_action
def add_link(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = LinkForm(request.POST)
    form.is_valid()
    try:
        kind = linking.clean_kind(form.value("kind") or LinkKind.RELATED)
        other = linking.find_incident(request.user, form.value("to"), "to")
        linking.link_incidents(incident, actor=request.user, to=other, kind=kind)
    except DomainError as error:
        form.attach(error)
        # An unknown or hidden other incident is a mistake in the form, not
        # a missing page: the incident page itself is there.
        status = 422 if error.status_code == 404 else error.status_code
        return render_incident(request, incident, bound={"link_form": form}, status=status)
    messages.success(
        request, _("%(ref)s and %(other)s are linked.") % {"ref": incident.ref, "other": other.ref}
    )
    return to_incident(incident, "links")


@incident_action
def remove_link(request: HttpRequest, incident: Incident) -> HttpResponse:
    number = (request.POST.get("link") or "").strip()
    if not (number.isascii() and number.isdigit() and len(number) <= 18):
        raise Http404(_("No such link."))
    try:
        link = linking.get_link(incident, int(number), request.user)
        linking.unlink_incidents(incident, link, actor=request.user)
    except NotFound as error:
        raise Http404(error.message) from None
    messages.success(request, _("Link removed."))
    return to_incident(incident, "links")


@login_required
def merge(request: HttpRequest, ref: str) -> HttpResponse:
    """GET: the form, and with `into` what merging would move. POST with
    `confirm`: merge, then go to the survivor."""
    incident = incident_or_404(request, ref)
    if not can_respond(request.user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    form = MergeForm(data if "into" in data else None)
    if not form.is_bound:
        return _render(request, incident, form)
    form.is_valid()
    try:
        survivor = linking.find_incident(request.user, form.value("into"), "into")
        linking.check_merge(incident, survivor)
    except DomainError as error:
        form.attach(error)
        status = 422 if error.status_code == 404 else error.status_code
        return _render(request, incident, form, status=status)
    if request.method != "POST" or not request.POST.get("confirm"):
        return _render(request, incident, form, survivor=survivor)
    try:
        linking.merge_incidents(incident, actor=request.user, into=survivor)
    except DomainError as error:
        form.attach(error)
        return _render(request, incident, form, status=error.status_code)
    messages.success(
        request,
        _("%(ref)s was merged into %(into)s and closed.")
        % {"ref": incident.ref, "into": survivor.ref},
    )
    return to_incident(survivor)


def _render(
    request: HttpRequest,
    incident: Incident,
    form: MergeForm,
    *,
    survivor: Incident | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "nav": "list",
        "incident": incident,
        "form": form,
        "error_form": form if form.errors else None,
        "survivor": survivor,
        "preview": linking.merge_preview(incident, survivor) if survivor is not None else None,
    }
    return render(request, "incidents/merge.html", context, status=status)

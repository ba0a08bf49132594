"""The push button of the action item page (trackers/_item_tracker.html)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from hotwash.actions.models import ActionItem
from hotwash.actions.queries import get_item
from hotwash.core.errors import DomainError, NotFound
from hotwash.trackers import services
from hotwash.trackers.display import tracker_name
from hotwash.trackers.models import SyncState


def item_page(item: ActionItem) -> str:
    try:
        return reverse("actions:detail", args=[item.pk])
    except NoReverseMatch:
        return reverse("incidents:home")


def _back(request: HttpRequest, item: ActionItem) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = item_page(item)
    return HttpResponseRedirect(f"{target.split('#')[0]}#tracker")


@login_required
def push_item(request: HttpRequest, ref: str) -> HttpResponse:
    try:
        item = get_item(request.user, ref)
    except NotFound as error:
        raise Http404(error.message) from None
    if request.method != "POST":
        return HttpResponseRedirect(item_page(item))
    try:
        link = services.request_push(item, actor=request.user)
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from None
        messages.error(request, error.message)
        return _back(request, item)
    name = tracker_name(link.tracker.kind)
    if link.sync_state == SyncState.SYNCED:
        messages.info(request, _("%(ref)s is already linked.") % {"ref": item.ref})
    else:
        messages.success(
            request,
            _("%(ref)s will be sent to %(tracker)s in a moment; this page shows how it went.")
            % {"ref": item.ref, "tracker": name},
        )
    return _back(request, item)

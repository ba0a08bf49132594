"""The chat pages of the signed-in person: confirming a link from a chat
platform (the signed link a command gave someone Hotwash did not know) and
the list of their chat identities, each of which they may unlink."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotwash.chat.links import read_link_token
from hotwash.chat.models import ChatIdentity, LinkedBy, Platform
from hotwash.chat.services import link_identity, unlink_identity


def _person(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


@login_required
def link(request: HttpRequest, token: str) -> HttpResponse:
    """GET: say what will be linked; POST: link it (the person confirms)."""
    person = _person(request)
    wanted = read_link_token(token)
    if wanted is None or wanted.platform not in Platform.values:
        return render(request, "chat/link.html", {"expired": True}, status=400)
    platform = Platform(wanted.platform).label
    if request.method != "POST":
        return render(request, "chat/link.html", {"platform": platform, "wanted": wanted})
    link_identity(
        wanted.platform,
        wanted.external_id,
        person,
        linked_by=LinkedBy.PERSON,
        display_name=wanted.display_name,
    )
    messages.success(
        request,
        _("Your %(platform)s account is linked: Hotwash now knows you there.")
        % {"platform": platform},
    )
    return HttpResponseRedirect(reverse("chat:identities"))


@login_required
def identities(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    rows = ChatIdentity.objects.filter(user=person).order_by("platform", "linked_at")
    return render(request, "chat/identities.html", {"identities": rows})


@login_required
@require_POST
def unlink(request: HttpRequest, identity_id: int) -> HttpResponse:
    person = _person(request)
    identity = get_object_or_404(ChatIdentity, pk=identity_id, user=person)
    platform = identity.get_platform_display()
    unlink_identity(identity, actor=person)
    messages.success(request, _("Your %(platform)s account is unlinked.") % {"platform": platform})
    return HttpResponseRedirect(reverse("chat:identities"))

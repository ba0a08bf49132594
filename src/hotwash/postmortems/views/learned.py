"""What we learned: recently published postmortems and retrospectives with
their lessons and how their action items are going, and the staff feed of
them (with the personal feed token a feed reader needs)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotwash.accounts.models import FeedToken
from hotwash.accounts.services import create_feed_token, revoke_feed_token, user_for_feed_token
from hotwash.core import atom
from hotwash.postmortems.feeds import public_feed, published_for, staff_feed
from hotwash.postmortems.hooks import hooks
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.queries import key_lessons

# How many lessons a card quotes: the first few lines of the section.
LESSON_LINES = 4


@dataclass(frozen=True)
class Card:
    postmortem: Postmortem
    lessons: list[str]
    actions_done: int
    actions_total: int


@login_required
def learned(request: HttpRequest, token: str = "") -> HttpResponse:
    assert isinstance(request.user, User)
    language = get_language() or "en"
    postmortems = published_for(request.user)
    counts = hooks.action_progress(postmortems, request.user)
    cards = [
        Card(p, key_lessons(p, language, lines=LESSON_LINES), *counts.get(p.pk, (0, 0)))
        for p in postmortems
    ]
    feed_path = reverse("postmortems:feed")
    context = {
        "nav": "postmortems",
        "cards": cards,
        "feed_url": request.build_absolute_uri(feed_path),
        "tokenised_feed_url": (
            request.build_absolute_uri(f"{feed_path}?token={token}") if token else ""
        ),
        "has_feed_token": FeedToken.objects.filter(user=request.user).exists(),
    }
    return render(request, "postmortems/learned.html", context)


@login_required
@require_POST
def feed_token(request: HttpRequest) -> HttpResponse:
    """Make a new personal feed token (shown once, on the page it answers
    with), or revoke it."""
    assert isinstance(request.user, User)
    if request.POST.get("action") == "revoke":
        revoke_feed_token(request.user)
        return learned(request)
    return learned(request, token=create_feed_token(request.user))


def feed(request: HttpRequest) -> HttpResponse:
    """The staff feed: for the signed-in person, or for the owner of the feed
    token in the address (a feed reader cannot sign in)."""
    reader = _feed_reader(request)
    if isinstance(reader, HttpResponse):
        return reader
    language = get_language() or "en"
    body = staff_feed(reader, language, request.path)
    response = HttpResponse(body, content_type=atom.CONTENT_TYPE)
    # Personal: never kept by a shared cache.
    response["Cache-Control"] = "private, no-cache"
    return response


def public(request: HttpRequest) -> HttpResponse:
    """The public feed: no sign-in, the confirmed public versions only."""
    language = get_language() or "en"
    response = HttpResponse(public_feed(language, request.path), content_type=atom.CONTENT_TYPE)
    response["Cache-Control"] = "public, max-age=300"
    return response


def _feed_reader(request: HttpRequest) -> User | HttpResponse:
    token = request.GET.get("token", "")
    if token:
        user = user_for_feed_token(token)
        if user is None:
            return _refused(403, _("This feed token is not valid: it may have been replaced."))
        return user
    if isinstance(request.user, User) and request.user.is_authenticated:
        return request.user
    return _refused(
        401,
        _(
            "This feed is for signed-in staff: add your personal feed token (?token=…), made on %(page)s."
        )
        % {"page": request.build_absolute_uri(reverse("postmortems:learned"))},
    )


def _refused(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")

"""Status page views: the stored public page and feeds (when a request gets
past the thin layer, statuspage.fast), the internal page, subscriptions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hotwash.incidents.models import Service
from hotwash.statuspage import pages, subscriptions
from hotwash.statuspage.board import build_board
from hotwash.statuspage.subscriptions import BadLink, SubscribeForm

# --- the public page and feeds -------------------------------------------------------


def _serve_stored(request: HttpRequest) -> HttpResponse:
    row = pages.stored(request.path)
    if row is None:
        # Nothing rendered yet (a new installation): render now.
        pages.render_and_store()
        row = pages.stored(request.path)
    if row is None:
        raise Http404
    if request.headers.get("If-None-Match") and pages_match(
        request.headers["If-None-Match"], row.etag
    ):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(bytes(row.body), content_type=row.content_type)
    response["ETag"] = row.etag
    response["Cache-Control"] = f"public, max-age={settings.STATUS_PAGE_MAX_AGE}"
    return response


def pages_match(header: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


@require_http_methods(["GET", "HEAD"])
def page(request: HttpRequest) -> HttpResponse:
    return _serve_stored(request)


@require_http_methods(["GET", "HEAD"])
def feed(request: HttpRequest) -> HttpResponse:
    return _serve_stored(request)


@require_http_methods(["GET", "HEAD"])
def service_feed(request: HttpRequest, service: str) -> HttpResponse:
    # Only a public service has a feed: anything else is a 404 without a render.
    if service not in pages.service_slugs(list(Service.objects.filter(public=True))):
        raise Http404
    return _serve_stored(request)


# --- the internal page ---------------------------------------------------------------


@login_required
def internal(request: HttpRequest) -> HttpResponse:
    board = build_board(timezone.now(), internal=True)
    return render(
        request,
        "statuspage/status/internal.html",
        {"board": board, "nav": "status", "public_url": reverse("statuspage:page")},
    )


# --- subscriptions -------------------------------------------------------------------


def _public_services() -> list[Service]:
    return list(Service.objects.filter(public=True).order_by("name"))


# No CSRF token: the form is on the stored public page, the same bytes for
# everyone. Nothing here acts with the visitor's cookies or session; the
# worst a forged request can do is ask for a confirmation mail, which
# `request_subscription` limits (one pending per address, re-sent at most
# every STATUS_CONFIRMATION_RESEND_MINUTES) and which changes nothing until
# its link is followed.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    services = _public_services()
    if request.method == "POST":
        form = SubscribeForm(request.POST, services=services)
        if form.is_valid():
            subscriptions.request_subscription(
                form.cleaned_data["email"],
                form.cleaned_data["language"],
                form.chosen_service(),
            )
            return HttpResponseRedirect(reverse("statuspage:subscribe-sent"))
        status = 400
    else:
        form = SubscribeForm(services=services, initial={"language": request.LANGUAGE_CODE})
        status = 200
    return render(
        request,
        "statuspage/status/subscribe.html",
        {"form": form, "error_form": form if form.errors else None},
        status=status,
    )


def subscribe_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "statuspage/status/subscribe_sent.html",
        {
            "hours": settings.STATUS_CONFIRMATION_MAX_AGE_HOURS,
            "minutes": settings.STATUS_CONFIRMATION_RESEND_MINUTES,
        },
    )


def _bad_link(request: HttpRequest, error: BadLink) -> HttpResponse:
    return render(
        request, "statuspage/status/bad_link.html", {"expired": error.expired}, status=400
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: a mail scanner that opens the link
    confirms nothing."""
    try:
        subscriber = subscriptions.pending_for(token)
    except BadLink as error:
        return _bad_link(request, error)
    if subscriber is not None and request.method == "POST":
        subscriptions.confirm(subscriber)
        return render(request, "statuspage/status/confirmed.html", {"subscriber": subscriber})
    if subscriber is None:
        return render(request, "statuspage/status/confirmed.html", {"already": True})
    return render(request, "statuspage/status/confirm.html", {"subscriber": subscriber})


# RFC 8058: the mail provider POSTs `List-Unsubscribe=One-Click` to this URL,
# without cookies or a CSRF token; the signed token is the authority.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST unsubscribes (RFC 8058: a GET must not)."""
    try:
        subscriber = subscriptions.subscriber_for_unsubscribe(token)
    except BadLink as error:
        return _bad_link(request, error)
    if subscriber is None:
        return render(request, "statuspage/status/unsubscribed.html", {"already": True})
    if request.method == "POST":
        subscriptions.unsubscribe(subscriber)
        return render(request, "statuspage/status/unsubscribed.html", {})
    return render(request, "statuspage/status/unsubscribe.html", {"subscriber": subscriber})

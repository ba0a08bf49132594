"""Every request gets an id, and one access line in the log.

The id comes from the reverse proxy's `X-Request-ID` header when it sent a
well-formed one (so Hotwash's lines match the proxy's), and is made here
otherwise. It is returned in the response's `X-Request-ID` header and given
to every log record written while the request is served
(`hotwash.core.logging.RequestIdFilter`). A header that is too long or holds
anything but letters, digits and `-_.:+/=` is replaced, never logged: a
client must not be able to write into the log.

The access line is one INFO record of the `hotwash.request` logger per
request: method, path, status, duration, route (the URL pattern, not the
path, so it groups requests), user id and request id. It is written when
the response leaves Hotwash: for a live-update stream, when the stream
starts. A view marked with `keeps_user_out_of_access_line` (filing a near
miss or a concern, which may be anonymous) never has its user written,
whatever the method and whatever the answer.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.http import HttpRequest, HttpResponse
from django.utils.encoding import escape_uri_path
from django.utils.functional import LazyObject, empty

from hotwash.core.logging import REQUEST_ID_KEY, current_request_id

HEADER = "X-Request-ID"
MAX_LENGTH = 128
_WELL_FORMED = re.compile(rf"[A-Za-z0-9._:+/=-]{{1,{MAX_LENGTH}}}")

access_log = logging.getLogger("hotwash.request")

View = TypeVar("View", bound=Callable[..., object])
_KEEPS_USER_OUT = "keeps_user_out_of_access_line"


def keeps_user_out_of_access_line(view: View) -> View:
    """Mark a view whose access line must not say who made the request.
    Read from the URL the request resolved to, so it holds for every answer
    of that URL: refusals before the view runs (CSRF, invalid input)
    included. Apply it outermost (after login_required and the like)."""
    setattr(view, _KEEPS_USER_OUT, True)
    return view


def request_id_from(header: str | None) -> str:
    """The incoming id when it is well-formed, a new one otherwise."""
    if header is not None and _WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so it sees every response, static files,
    redirects and refusals included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(HEADER))
        request.META[REQUEST_ID_KEY] = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            _log_access(request, response, request_id, time.perf_counter() - started)
            return response
        finally:
            current_request_id.reset(token)


def _log_access(
    request: HttpRequest, response: HttpResponse, request_id: str, seconds: float
) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    # Percent-encoded: a decoded path may hold a line break or a quote.
    path = escape_uri_path(request.path)
    method = (request.method or "")[:16]
    user_id = _user_id(request)
    duration_ms = round(seconds * 1000, 3)
    access_log.info(
        "%s %s %d %.1f ms request=%s user=%s",
        method,
        path,
        response.status_code,
        duration_ms,
        request_id,
        "-" if user_id is None else user_id,
        extra={
            "method": method,
            "path": path,
            "route": route_of(request),
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": user_id,
        },
    )


def route_of(request: HttpRequest) -> str | None:
    """The URL pattern that answered (`en/incidents/<str:ref>/`), never the
    path, or None when none did (a static file, a 404, a refusal before
    routing). The access line and the request metrics group by it."""
    match = getattr(request, "resolver_match", None)
    return match.route or None if match is not None else None


def _user_id(request: HttpRequest) -> int | None:
    """Who made the request, when something already found out: the session
    (a page looked at request.user) or an API token. Never looked up here,
    which would cost a query on requests that did not need one. None for a
    view that keeps the user out of its access line."""
    match = getattr(request, "resolver_match", None)
    if match is not None and getattr(match.func, _KEEPS_USER_OUT, False):
        return None
    user = request.__dict__.get("user")
    if isinstance(user, LazyObject):
        # The session's user, looked up only if something asked for it.
        user = getattr(user, "_wrapped", empty)
        if user is empty:
            return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    pk = getattr(user, "pk", None)
    return pk if isinstance(pk, int) else None

"""The operations app's two middlewares (see MIDDLEWARE in settings.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.urls import resolve

from hotwash.operations.metrics import record_request
from hotwash.operations.urls import PATHS

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class RequestMetricsMiddleware:
    """Counts every response by URL pattern, method and status, and times it
    (`hotwash_http_requests_total`, `hotwash_http_request_duration_seconds`).
    First in MIDDLEWARE, so it sees static files, refusals by the other
    middlewares and error pages too."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        record_request(request, response.status_code, time.perf_counter() - started)
        return response


class OperationsEndpointsMiddleware:
    """Answers /healthz, /readyz and /metrics straight away, skipping the
    middlewares below it: no session, no CSRF, no language redirect, no
    sign-in throttling, and no Host check, because load balancers,
    orchestrators and Prometheus reach a process by its address, not by the
    site's name (the answers contain no URL a forged Host could poison)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info not in PATHS:
            return self.get_response(request)
        match = resolve(request.path_info)
        request.resolver_match = match  # the route for the request metrics
        response: HttpResponseBase = match.func(request, *match.args, **match.kwargs)
        return response

"""A URLconf for the request-id tests: Hotwash's own, plus a view that
writes a log record while it answers, as any view's code might."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from hotwash import urls as hotwash_urls

LOGGER = "tests.logged_view"


def logs_something(request: HttpRequest, name: str) -> HttpResponse:
    logging.getLogger(LOGGER).warning("Looked at %s", name)
    return HttpResponse("ok")


urlpatterns: list[URLPattern | URLResolver] = [
    path("logged/<str:name>/", logs_something),
    *hotwash_urls.urlpatterns,
]

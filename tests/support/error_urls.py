"""A URLconf for the error-page tests: Hotwash's own, plus views that fail
the way a bug would (an exception with a secret in its frame)."""

from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from hotwash import urls as hotwash_urls

SECRET_IN_FRAME = "frame-secret-canary-5150"


def crash(request: HttpRequest) -> HttpResponse:
    password = SECRET_IN_FRAME  # a local the debug page would print
    raise RuntimeError(f"Something broke while holding {password[:5]}…")


def suspicious(request: HttpRequest) -> HttpResponse:
    password = SECRET_IN_FRAME
    raise SuspiciousOperation(f"Tampered with {password[:5]}…")


urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/crash", crash),
    *hotwash_urls.urlpatterns,
    *i18n_patterns(
        path("crash/", crash),
        path("suspicious/", suspicious),
        prefix_default_language=True,
    ),
]

handler404 = hotwash_urls.handler404
handler500 = hotwash_urls.handler500

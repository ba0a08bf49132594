"""/healthz, /readyz and /metrics: at the root, without a language prefix,
and answered by `OperationsEndpointsMiddleware` before sessions, CSRF and
sign-in (hotwash/operations/middleware.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from hotwash.operations import views

urlpatterns: list[URLPattern] = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
]

# The paths the middleware answers itself.
PATHS = frozenset(f"/{pattern.pattern}" for pattern in urlpatterns)

"""The JSON API under /api/v1/ (django-ninja): the composition root, which
builds the API and mounts each app's router (`<app>/api.py`). The kit the
routers share (auth, errors, paging, presenters) is hotwash.core.api.

Its OpenAPI 3 document is at /api/v1/openapi.json and its interactive docs
at /api/v1/docs (Swagger UI served from ninja's static files, no CDN).
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path, re_path
from ninja import NinjaAPI
from ninja.errors import ValidationError, ValidationErrorContext

from hotwash.accounts import api as accounts_api
from hotwash.accounts import audit_api
from hotwash.accounts.api_auth import SessionAuth, TokenAuth
from hotwash.actions import api as actions_api
from hotwash.alerts import api as alerts_api
from hotwash.blameless import api as blameless_api
from hotwash.core.api.errors import (
    JsonParser,
    install_error_handlers,
    json_method_errors,
    not_found_view,
    validation_errors,
)
from hotwash.core.request_id import keeps_user_out_of_access_line
from hotwash.incidents import api as incidents_api
from hotwash.incidents import links_api as incident_links_api
from hotwash.insights import api as insights_api
from hotwash.notifications import api as notifications_api
from hotwash.notifications import follow_api
from hotwash.postmortems import api as postmortems_api
from hotwash.reports import api as reports_api
from hotwash.search import api as search_api
from hotwash.sharing import api as sharing_api
from hotwash.statuspage import api as statuspage_api
from hotwash.teams import api as teams_api
from hotwash.trackers import api as trackers_api
from hotwash.triggers import api as triggers_api

DESCRIPTION = """\
Declare and run incidents from scripts, tools and the `hotwash` CLI.

**Authentication.** Send a personal API token as `Authorization: Bearer <token>`
(create one with `hotwash createtoken USERNAME`). In a browser, your signed-in
session works too; changes then need Django's CSRF token (this page sends it).
Viewers can read; responders and admins can also change incidents. Private
incidents exist only for their participants and admins: anyone else gets 404.

**Errors** are always JSON: `{"message": ..., "field": ..., "errors": [{"field": ..., "message": ...}]}`,
with a message in the request's language (`Accept-Language: en` or `fr`).
Nothing is changed by a request that fails.

**Times** are ISO 8601 with their offset, in your profile's time zone; send
times with a zone.
"""


class HotwashAPI(NinjaAPI):
    """NinjaAPI whose every answer, even for unknown paths, wrong methods and
    invalid requests, is JSON in Hotwash's error shape."""

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        return ValidationError(validation_errors(error_contexts))

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        routed: list[URLResolver | URLPattern] = []
        for pattern in patterns:
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                # ninja's root view raises a plain 404 page; keep its name,
                # which ninja reverses to find the API's prefix.
                routed.append(path("", not_found_view, name="api-root"))
                continue
            if isinstance(pattern, URLPattern) and pattern.name not in (
                "openapi-json",
                "openapi-view",
            ):
                pattern.callback = json_method_errors(pattern.callback)
                if pattern.name in reports_api.USER_KEPT_OUT:
                    keeps_user_out_of_access_line(pattern.callback)
            routed.append(pattern)
        routed.append(re_path(r"^.+$", not_found_view, name="not-found"))
        return routed, app_name, namespace


api = HotwashAPI(
    title="Hotwash API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    parser=JsonParser(),
)
install_error_handlers(api)

# Alert webhooks first: the hottest path, and Django matches URL patterns in order.
for router in (
    alerts_api.router,
    incidents_api.router,
    incident_links_api.router,
    accounts_api.router,
    blameless_api.router,
    postmortems_api.router,
    actions_api.router,
    trackers_api.router,
    triggers_api.router,
    statuspage_api.router,
    # Before the catalog's /services/{name:path}, which would take
    # /services/shop/follow for a service named "shop/follow".
    follow_api.router,
    teams_api.router,
    audit_api.router,
    notifications_api.router,
    reports_api.router,
    sharing_api.router,
    search_api.router,
    insights_api.router,
):
    api.add_router("", router)

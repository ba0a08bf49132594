from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from hotwash.api.urls import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("live/", include("hotwash.incidents.live_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Single sign-on (OpenID Connect): no language prefix, so one redirect
    # URI serves every language (hotwash/accounts/oidc.py).
    path("oidc/", include("hotwash.accounts.oidc_urls")),
    # Health, readiness and metrics for machines: no prefix, no sign-in
    # (hotwash/operations/urls.py).
    path("", include("hotwash.operations.urls")),
    # Chat platforms call these (no language prefix, no session: each
    # request is signed by the platform; docs/chat.md).
    path("integrations/slack/", include("hotwash.integrations.slack.urls")),
    path("integrations/teams/", include("hotwash.integrations.teams.urls")),
]

# Pages live under /en/ and /fr/; "/" redirects to the visitor's language.
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("accounts/", include("hotwash.accounts.urls")),
    # A postmortem's public version: reviewed, then confirmed (hotwash.sharing).
    path("postmortems/<int:pk>/public-version/", include("hotwash.sharing.urls")),
    path("postmortems/", include("hotwash.postmortems.urls")),
    path("action-items/", include("hotwash.actions.urls")),
    path("reports/", include("hotwash.reports.urls")),
    path("trackers/", include("hotwash.trackers.urls")),
    path("notifications/", include("hotwash.notifications.urls")),
    path("alerts/", include("hotwash.alerts.urls")),
    path("triggers/", include("hotwash.triggers.urls")),
    # Stakeholder updates: the form on the incident page posts here.
    path("", include("hotwash.statuspage.update_urls")),
    path("status/", include("hotwash.statuspage.urls")),
    # Linking a chat account (the signed link a chat command gives).
    path("chat/", include("hotwash.chat.urls")),
    path("services/", include("hotwash.teams.urls")),
    path("search/", include("hotwash.search.urls")),
    path("insights/", include("hotwash.insights.urls")),
    path("", include("hotwash.incidents.urls")),
    prefix_default_language=True,
)

handler404 = "hotwash.core.views.not_found"
# Hotwash's own 500 (JSON under /api/); Django's debug page only ever
# reaches a signed-in admin with HOTWASH_DEBUG=1 (hotwash.accounts.debug).
handler500 = "hotwash.core.views.server_error"

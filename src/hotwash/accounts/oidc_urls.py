"""Single sign-on URLs, mounted at /oidc/ without a language prefix, so one
redirect URI (<HOTWASH_SITE_URL>/oidc/callback/) serves every language."""

from django.urls import URLPattern, path

from hotwash.accounts.oidc import OidcCallbackView, OidcStartView

urlpatterns: list[URLPattern] = [
    path("authenticate/", OidcStartView.as_view(), name="oidc_authentication_init"),
    path("callback/", OidcCallbackView.as_view(), name="oidc_authentication_callback"),
]

"""What the sign-in page offers: single sign-on first when configured, and
the password form unless HOTWASH_PASSWORD_LOGIN=0."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def sign_in_options(context: template.Context) -> dict[str, Any]:
    single_sign_on = bool(settings.OIDC_ISSUER)
    start_url = reverse("oidc_authentication_init")
    next_url = context.get("next") or ""
    if single_sign_on and next_url:
        start_url += "?next=" + quote(str(next_url), safe="/")
    return {
        "single_sign_on": single_sign_on,
        "provider": settings.OIDC_NAME,
        "start_url": start_url,
        "password": bool(settings.PASSWORD_LOGIN) or not single_sign_on,
    }

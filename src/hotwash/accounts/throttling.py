"""Sign-in throttling, with django-axes.

Axes counts failed password sign-ins per account and client address (its
backend runs first in AUTHENTICATION_BACKENDS, so a locked-out person is
refused before any password is checked). This module gives Axes the
client's address (behind a proxy, from the header the operator names in
HOTWASH_CLIENT_IP_HEADER) and turns a lock-out into the sign-in page with a
translated message, status 429 and Retry-After.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy, ngettext

# Set on the request when the sign-in form itself already shows the
# lock-out, so the lock-out response keeps that page instead of another.
_SHOWN_IN_FORM = "hotwash_lockout_in_form"


def client_address(request: HttpRequest) -> str | None:
    """The address a request came from. Behind a reverse proxy, the
    right-most entry of the header named by HOTWASH_CLIENT_IP_HEADER (the
    one the proxy itself wrote; anything a client sent is to its left);
    otherwise, or when that header holds no address, REMOTE_ADDR."""
    header = settings.CLIENT_IP_HEADER
    if header:
        candidate = request.headers.get(header, "").split(",")[-1].strip()
        if _is_address(candidate):
            return candidate
    return request.META.get("REMOTE_ADDR") or None


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def cool_off_seconds(request: HttpRequest | None) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off is not None else 0


def lockout_message(request: HttpRequest | None) -> str:
    minutes = max(1, math.ceil(cool_off_seconds(request) / 60))
    return ngettext(
        "Too many failed sign-ins for this account from your address. "
        "Try again in %(minutes)d minute, or ask an administrator to unlock your account.",
        "Too many failed sign-ins for this account from your address. "
        "Try again in %(minutes)d minutes, or ask an administrator to unlock your account.",
        minutes,
    ) % {"minutes": minutes}


class LockoutAwareForm(AuthenticationForm):
    """Says "locked out" instead of "wrong password" when Axes refused the
    attempt (Axes marks the request while `authenticate` runs)."""

    def get_invalid_login_error(self) -> ValidationError:
        if self.request is not None and getattr(self.request, "axes_locked_out", False):
            setattr(self.request, _SHOWN_IN_FORM, True)
            return ValidationError(lockout_message(self.request), code="locked_out")
        return super().get_invalid_login_error()


class SignInForm(LockoutAwareForm):
    """The sign-in page's form."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "That username and password do not match. Check them and try again."
        ),
    }


class AdminSignInForm(LockoutAwareForm, AdminAuthenticationForm):
    """The admin's sign-in form (installed in accounts/admin.py)."""


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """Axes' lock-out answer (AXES_LOCKOUT_CALLABLE): the page the sign-in
    view rendered when its form shows the lock-out, otherwise a page of our
    own; always 429 with Retry-After."""
    if original_response is not None and getattr(request, _SHOWN_IN_FORM, False):
        response = original_response
    else:
        response = render(
            request, "accounts/locked_out.html", {"message": lockout_message(request)}
        )
    response.status_code = 429
    seconds = cool_off_seconds(request)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response

"""Who is calling: a personal API token, or (for the browser and the docs
page) the Django session.

An Authorization header, when present, decides alone: a wrong token is a 401
even if a session cookie is also sent, so a script never silently acts as
whoever is signed in to the browser. Session requests that change something
must pass Django's CSRF check.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from hotwash.accounts.permissions import can_respond
from hotwash.accounts.services import user_for_token
from hotwash.core.api.errors import CredentialsRefused
from hotwash.core.errors import PermissionDenied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a personal API token."""

    def __call__(self, request: HttpRequest) -> User | None:
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _space, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise CredentialsRefused(
                _("Send the API token in the header Authorization: Bearer <token>.")
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is None:
            raise CredentialsRefused(
                _(
                    "This API token is not valid: it may be mistyped, revoked or expired. "
                    "Create a new one with: hotwash createtoken USERNAME"
                )
            )
        _adopt(request, user)
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session, with Django's CSRF check on writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> User | None:
        # Authentication first: an anonymous write is a 401, not a CSRF 403.
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(
                403,
                _(
                    "The CSRF check failed. Send the X-CSRFToken header with the value of "
                    "the csrftoken cookie, or use an API token instead of the session."
                ),
            )
        return user


def _adopt(request: HttpRequest, user: User) -> None:
    """Treat the token's user as the request's user, in their own time zone
    (the preferences middleware ran before the token was read)."""
    request.user = user
    profile = getattr(user, "profile", None)
    try:
        timezone.activate(zoneinfo.ZoneInfo(profile.timezone if profile else "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.activate(zoneinfo.ZoneInfo("UTC"))


def caller(request: HttpRequest) -> User:
    """The authenticated user of an operation (auth has already run)."""
    user: Any = getattr(request, "auth", None)
    assert isinstance(user, User), "operation called without authentication"
    return user


def responder(request: HttpRequest) -> User:
    """The caller, if they may change incidents. Checked before anything is
    looked up, so a viewer gets the same answer for every write."""
    user = caller(request)
    if not can_respond(user):
        raise PermissionDenied(
            _(
                "Your account can read incidents but not change them. "
                "Ask an admin to give you the responder role."
            )
        )
    return user

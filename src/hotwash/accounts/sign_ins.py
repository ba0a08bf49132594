"""Audit records of signing in and out, failed sign-ins and lock-outs.

They hang on Django's own signals (and Axes' lock-out signal), so every way
in is covered: the sign-in page, the admin's, single sign-on. Each record
carries the client's address; never what was typed as a password (Django
masks it before the signal, and only the username is read here).
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_failure_limit
from django.contrib.auth.models import User
from django.http import HttpRequest

from hotwash.accounts.throttling import client_address
from hotwash.core.audit import record_audit

USERNAME_MAX = 150


def signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    record_audit(
        actor=user,
        action="auth.logged_in",
        obj=user,
        changes={**_where(request), "backend": str(getattr(user, "backend", "") or "")},
    )


def signed_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if isinstance(user, User):  # signing out when not signed in is nothing to record
        record_audit(actor=user, action="auth.logged_out", obj=user, changes=_where(request))


def sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = _username(credentials.get(User.USERNAME_FIELD))
    record_audit(
        actor=None,
        action="auth.login_failed",
        obj=_account(username),
        changes={"username": username, **_where(request)},
    )


def locked_out(
    sender: Any, request: HttpRequest, username: Any = None, ip_address: Any = None, **kwargs: Any
) -> None:
    """Axes signals every refused attempt during a lock-out; record the one
    that started it."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None or failures != get_failure_limit(request, None):
        return
    name = _username(username)
    record_audit(
        actor=None,
        action="auth.locked_out",
        obj=_account(name),
        changes={"username": name, "address": ip_address, "failures": failures},
    )


def _where(request: HttpRequest | None) -> dict[str, Any]:
    if request is None:
        return {"address": None, "path": None}
    return {"address": client_address(request), "path": _storable(request.path)}


def _username(value: Any) -> str | None:
    if value is None:
        return None
    return _storable(str(value))[:USERNAME_MAX]


def _storable(text: str) -> str:
    """Text any database keeps: no NUL, no lone surrogate."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def _account(username: str | None) -> User | type[User]:
    """The account a username names, or the User model when none does."""
    if not username:
        return User
    return User.objects.filter(username=username).first() or User

"""Write-side functions for accounts and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from hotwash.accounts.models import ApiToken, Profile, Role
from hotwash.core.audit import record_audit

TOKEN_PREFIX = "hw_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def profile_for(user: User) -> Profile:
    """The user's profile, created with defaults the first time it is needed."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        profile, _created = Profile.objects.get_or_create(
            user=user, defaults={"role": Role.ADMIN if user.is_superuser else Role.RESPONDER}
        )
        return profile


@transaction.atomic
def create_user(
    username: str,
    *,
    password: str | None = None,
    role: str = Role.RESPONDER,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    timezone_name: str = "UTC",
    language: str = "en",
) -> User:
    user = User.objects.create_user(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    Profile.objects.create(user=user, role=role, timezone=timezone_name, language=language)
    record_audit(actor=None, action="user.created", obj=user, changes={"role": role})
    return user


@transaction.atomic
def create_api_token(user: User, *, name: str = "") -> str:
    """Create a token for `user` and return it; it cannot be recovered later."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken.objects.create(
        user=user,
        name=name,
        digest=token_digest(token),
        prefix=token[:10],
        created_at=timezone.now(),
    )
    record_audit(actor=user, action="api_token.created", obj=api_token, changes={"name": name})
    return token


# Bearer tokens are checked on every API call, and the lookup (three tables)
# was a third of the cost of a timeline append. Each process remembers a
# token's user briefly; a revoked token or a deactivated account stops
# working in this process at once (see forget_tokens) and in the others
# within TOKEN_CACHE_SECONDS.
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_MAX = 4096
_token_cache: dict[str, tuple[float, User]] = {}
_token_cache_lock = threading.Lock()


def forget_tokens() -> None:
    """Drop this process's remembered tokens (after a revocation, a role or
    account change)."""
    with _token_cache_lock:
        _token_cache.clear()


def user_for_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    digest = token_digest(token)
    now_monotonic = time.monotonic()
    with _token_cache_lock:
        cached = _token_cache.get(digest)
    if cached is not None and cached[0] > now_monotonic:
        return cached[1]
    api_token = (
        ApiToken.objects.select_related("user", "user__profile")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if api_token is None:
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute: a write per API call would
    # double the cost of every request for a value nobody needs that precisely.
    if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    with _token_cache_lock:
        if len(_token_cache) >= TOKEN_CACHE_MAX:
            _token_cache.clear()
        _token_cache[digest] = (now_monotonic + TOKEN_CACHE_SECONDS, api_token.user)
    return api_token.user


@transaction.atomic
def revoke_api_token(api_token: ApiToken, *, actor: User | None) -> None:
    api_token.revoked_at = timezone.now()
    api_token.save(update_fields=["revoked_at"])
    record_audit(actor=actor, action="api_token.revoked", obj=api_token)
    transaction.on_commit(forget_tokens)

"""Write-side functions for accounts and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import zoneinfo
from datetime import date, datetime, timedelta

from axes.utils import reset as reset_sign_in_attempts
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.models import ApiToken, FeedToken, Profile, Role
from hotwash.core.audit import record_audit
from hotwash.core.errors import InvalidInput

TOKEN_PREFIX = "hw_"
FEED_TOKEN_PREFIX = "hwfeed_"
# The furthest ahead a token's expiry may be set: ten years is "no expiry"
# in practice, and bounds dates that would overflow.
TOKEN_MAX_DAYS = 3650


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
    now: datetime | None = None,
) -> User:
    """A new account with its profile; `now` (default: the current time) is
    when it joined, and the time of its audit record."""
    now = timezone.now() if now is None else now
    user = User.objects.create_user(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
        date_joined=now,
    )
    Profile.objects.create(user=user, role=role, timezone=timezone_name, language=language)
    record_audit(actor=None, action="user.created", obj=user, changes={"role": role}, now=now)
    return user


def token_expiry_in_days(days: int, *, now: datetime | None = None) -> datetime:
    """The expiry of a token that should work for `days` days from now."""
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise InvalidInput(
            _("A token expires in 1 to %(max)d days; %(days)d is out of range.")
            % {"max": TOKEN_MAX_DAYS, "days": days},
            field="expires_at",
        )
    return (now or timezone.now()) + timedelta(days=days)


def token_expiry_after(day: date, user: User, *, now: datetime | None = None) -> datetime:
    """The expiry of a token that should work through `day`, in the
    person's own time zone: the midnight that ends it."""
    zone = _zone_of(user)
    today = timezone.localtime(now or timezone.now(), zone).date()
    if day < today:
        raise InvalidInput(
            _("%(day)s is in the past; a token must work at least until the end of today.")
            % {"day": day.isoformat()},
            field="expires_at",
        )
    if (day - today).days >= TOKEN_MAX_DAYS:
        raise InvalidInput(
            _("A token expires at most %(max)d days from today.") % {"max": TOKEN_MAX_DAYS},
            field="expires_at",
        )
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)


def _zone_of(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(profile_for(user).timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@transaction.atomic
def create_api_token(user: User, *, name: str = "", expires_at: datetime | None = None) -> str:
    """Create a token for `user` and return it; it cannot be recovered later.
    With `expires_at`, it stops working then (as if it did not exist)."""
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(_("A token cannot expire in the past."), field="expires_at")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken.objects.create(
        user=user,
        name=name,
        digest=token_digest(token),
        prefix=token[:10],
        created_at=now,
        expires_at=expires_at,
    )
    record_audit(
        actor=user,
        action="api_token.created",
        obj=api_token,
        changes={"name": name, "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return token


# Bearer tokens are checked on every API call, and the lookup (three tables)
# was a third of the cost of a timeline append. Each process remembers a
# token's user briefly; a revoked token or a deactivated account stops
# working in this process at once (see forget_tokens) and in the others
# within TOKEN_CACHE_SECONDS. An expired token stops at its expiry, cached
# or not.
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_MAX = 4096
# digest -> (monotonic deadline of the entry, the token's expiry, its user)
_token_cache: dict[str, tuple[float, datetime | None, User]] = {}
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
    now = timezone.now()
    with _token_cache_lock:
        cached = _token_cache.get(digest)
    if cached is not None and cached[0] > now_monotonic:
        _deadline, expires_at, user = cached
        return user if expires_at is None or expires_at > now else None
    api_token = (
        ApiToken.objects.select_related("user", "user__profile")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if api_token is None:
        return None
    # Touch last_used_at at most once a minute: a write per API call would
    # double the cost of every request for a value nobody needs that precisely.
    if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    with _token_cache_lock:
        if len(_token_cache) >= TOKEN_CACHE_MAX:
            _token_cache.clear()
        _token_cache[digest] = (
            now_monotonic + TOKEN_CACHE_SECONDS,
            api_token.expires_at,
            api_token.user,
        )
    return api_token.user


@transaction.atomic
def revoke_api_token(api_token: ApiToken, *, actor: User | None) -> None:
    """Stop the token working, everywhere. Revoking it again changes
    nothing."""
    revoked = ApiToken.objects.filter(pk=api_token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    api_token.refresh_from_db(fields=["revoked_at"])
    if not revoked:
        return
    record_audit(
        actor=actor,
        action="api_token.revoked",
        obj=api_token,
        changes={"name": api_token.name, "prefix": api_token.prefix},
    )
    # Now, and again at commit: another thread may remember the token from
    # the last committed state in between.
    forget_tokens()
    transaction.on_commit(forget_tokens)


@transaction.atomic
def unlock_sign_in(user: User, *, actor: User | None) -> int:
    """Let `user` sign in again at once, from every address: forget their
    failed attempts. Returns how many attempt records were cleared."""
    cleared: int = reset_sign_in_attempts(username=user.get_username())
    record_audit(actor=actor, action="auth.unlocked", obj=user, changes={"cleared": cleared})
    return cleared


# --- feed tokens ------------------------------------------------------------------


@transaction.atomic
def create_feed_token(user: User) -> str:
    """A new feed token for `user`, replacing the one they had (whose feed
    addresses stop working); returned once, never recoverable."""
    token = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    replaced = FeedToken.objects.filter(user=user).delete()[0] > 0
    feed_token = FeedToken.objects.create(
        user=user, digest=token_digest(token), created_at=timezone.now()
    )
    record_audit(
        actor=user, action="feed_token.created", obj=feed_token, changes={"replaced": replaced}
    )
    return token


@transaction.atomic
def revoke_feed_token(user: User) -> bool:
    """Stop `user`'s feed addresses working; False when they had none."""
    feed_token = FeedToken.objects.filter(user=user).first()
    if feed_token is None:
        return False
    record_audit(actor=user, action="feed_token.revoked", obj=feed_token, changes={})
    feed_token.delete()
    return True


def user_for_feed_token(token: str) -> User | None:
    """The active user a feed token belongs to, or None."""
    if not token.startswith(FEED_TOKEN_PREFIX):
        return None
    feed_token = (
        FeedToken.objects.select_related("user", "user__profile")
        .filter(digest=token_digest(token), user__is_active=True)
        .first()
    )
    return feed_token.user if feed_token else None

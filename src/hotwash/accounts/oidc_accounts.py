"""The account behind a verified single sign-on: found by the provider's
subject, linked, or created; and its role kept in step with the provider.

Called with claims that already passed every check (signature, issuer,
audience, expiry, nonce; userinfo's `sub` equal to the ID token's).

Linking rule: an existing account is found by (issuer, `sub`) only. The
first time a subject is seen, an account with the same email address is
linked to it only when the provider says the address is verified
(`email_verified` is JSON true): an unverified address is just text the
person (or an attacker) typed at the provider, and linking on it would hand
them someone else's account. Otherwise a new account is created; when an
account with that address already exists, the sign-in is refused instead
(a second account with the same address would confuse everyone) and an
administrator links them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from hotwash.accounts.models import Role
from hotwash.accounts.oidc_errors import (
    AccountAmbiguous,
    AccountInactive,
    EmailNotVerified,
    TokenInvalid,
)
from hotwash.accounts.oidc_models import OidcIdentity
from hotwash.accounts.permissions import role_of
from hotwash.accounts.preferences import time_zone_names
from hotwash.accounts.services import create_user, profile_for
from hotwash.core.audit import record_audit

# Highest first: someone in several mapped groups gets the most they are given.
ROLE_ORDER = (Role.ADMIN, Role.RESPONDER, Role.VIEWER)
NAME_MAX = 150
EMAIL_MAX = 254
SUBJECT_MAX = 255
_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


def sign_on(*, issuer: str, claims: Mapping[str, Any]) -> User:
    """The active account for these claims, created or linked on first
    sign-in, with its role from the provider applied."""
    subject = subject_of(claims)
    try:
        return _sign_on(issuer, subject, claims)
    except IntegrityError:
        # The same person's first sign-in in two tabs at once: the other one
        # created the identity; this one finds it.
        return _sign_on(issuer, subject, claims)


def subject_of(claims: Mapping[str, Any]) -> str:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > SUBJECT_MAX:
        raise TokenInvalid("no usable sub claim")
    return subject


def _sign_on(issuer: str, subject: str, claims: Mapping[str, Any]) -> User:
    with transaction.atomic():
        identity = (
            OidcIdentity.objects.select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if identity is None:
            identity = _link_or_create(issuer, subject, claims)
        user = identity.user
        if not user.is_active:
            raise AccountInactive(f"user {user.pk}")
        OidcIdentity.objects.filter(pk=identity.pk).update(last_sign_in_at=timezone.now())
        apply_provider_role(user, claims)
    return user


def _link_or_create(issuer: str, subject: str, claims: Mapping[str, Any]) -> OidcIdentity:
    email = email_of(claims)
    same_email = list(User.objects.filter(email__iexact=email)[:2]) if email else []
    if not same_email:
        names = names_of(claims)
        user = create_user(
            free_username(claims, issuer, subject),
            password=None,  # an unusable password: this account signs on
            role=provider_role(claims) if settings.OIDC_ROLE_MAP else Role.VIEWER,
            email=email,
            first_name=names["first_name"],
            last_name=names["last_name"],
            timezone_name=time_zone_of(claims),
            language=language_of(claims),
        )
        return _link(user, issuer, subject, how="new_account")
    if claims.get("email_verified") is not True:
        raise EmailNotVerified("an account has this email", email=email, subject=subject)
    user = same_email[0]
    if len(same_email) > 1 or OidcIdentity.objects.filter(issuer=issuer, user=user).exists():
        raise AccountAmbiguous("cannot tell which account", email=email, subject=subject)
    return _link(user, issuer, subject, how="verified_email")


def _link(user: User, issuer: str, subject: str, *, how: str) -> OidcIdentity:
    identity = OidcIdentity.objects.create(
        user=user, issuer=issuer, subject=subject, created_at=timezone.now()
    )
    record_audit(
        actor=None,
        action="auth.oidc_linked",
        obj=user,
        changes={"issuer": issuer, "subject": subject, "how": how},
    )
    return identity


# --- roles -------------------------------------------------------------------


def provider_role(claims: Mapping[str, Any]) -> str:
    """The role HOTWASH_OIDC_ROLE_MAP gives for the role claim's values;
    viewer when none is mapped."""
    values = claim_values(claims, settings.OIDC_ROLE_CLAIM)
    granted = {settings.OIDC_ROLE_MAP[value] for value in values if value in settings.OIDC_ROLE_MAP}
    return next((role for role in ROLE_ORDER if role in granted), Role.VIEWER)


def claim_values(claims: Mapping[str, Any], name: str) -> set[str]:
    """A claim's string values: a list of strings, or one string. A dotted
    name reaches into objects (Keycloak's `realm_access.roles`)."""
    value: Any = claims.get(name)
    if value is None and "." in name:
        value = claims
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


def apply_provider_role(user: User, claims: Mapping[str, Any]) -> None:
    """With a role map, the provider decides the role at every sign-in (so
    leaving the admin group demotes). Without one, roles are Hotwash's."""
    if not settings.OIDC_ROLE_MAP:
        return
    role = provider_role(claims)
    before = role_of(user)
    profile = profile_for(user)
    is_admin = role == Role.ADMIN
    if profile.role != role:
        profile.role = role
        profile.save(update_fields=["role"])
    # Django's own flags follow the role, or a superuser would stay an admin
    # (and reach the admin site) whatever the provider says.
    if (user.is_staff, user.is_superuser) != (is_admin, is_admin):
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])
    if before != role:
        record_audit(
            actor=None,
            action="user.role_changed",
            obj=user,
            changes={"before": before, "after": role, "source": "oidc"},
        )


# --- what a new account is made of ----------------------------------------------


def storable(value: Any, limit: int) -> str:
    """A claim as text every database keeps: a string, no NUL, no lone
    surrogate, at most `limit` characters."""
    if not isinstance(value, str):
        return ""
    text = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return text.strip()[:limit]


def email_of(claims: Mapping[str, Any]) -> str:
    email = storable(claims.get("email"), EMAIL_MAX)
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def names_of(claims: Mapping[str, Any]) -> dict[str, str]:
    first = storable(claims.get("given_name"), NAME_MAX)
    last = storable(claims.get("family_name"), NAME_MAX)
    if not first and not last:
        first = storable(claims.get("name"), NAME_MAX)
    return {"first_name": first, "last_name": last}


def language_of(claims: Mapping[str, Any]) -> str:
    """`locale` is a BCP 47 tag (fr-CA, en_GB, fr); Hotwash speaks en and fr."""
    primary = re.split(r"[-_]", storable(claims.get("locale"), 35))[0].lower()
    codes = [code for code, _name in settings.LANGUAGES]
    return primary if primary in codes else settings.LANGUAGE_CODE


def time_zone_of(claims: Mapping[str, Any]) -> str:
    """`zoneinfo` is an IANA zone name (Europe/Paris); anything else is ignored."""
    zone = storable(claims.get("zoneinfo"), 64)
    return zone if zone in time_zone_names() else "UTC"


def free_username(claims: Mapping[str, Any], issuer: str, subject: str) -> str:
    """A username nobody has: the provider's preferred username or email
    when free (a taken one is never a link to that account), else one made
    from the subject."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()
    made_up = f"sso-{digest[:12]}"
    for candidate in (claims.get("preferred_username"), claims.get("email"), made_up):
        base = _USERNAME_UNSAFE.sub("", storable(candidate, 140))
        if not base:
            continue
        for suffix in ("", "-2", "-3", "-4", "-5"):
            if not User.objects.filter(username__iexact=base + suffix).exists():
                return base + suffix
    return f"sso-{digest[:24]}"

"""Who may do what. Small predicates used by views, the API and services."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q

from hotwash.accounts.models import Role

AnyUser = User | AnonymousUser


def role_of(user: AnyUser) -> str | None:
    if not user.is_authenticated:
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    profile = getattr(user, "profile", None)
    return profile.role if profile is not None else Role.VIEWER


def is_admin(user: AnyUser) -> bool:
    return role_of(user) == Role.ADMIN


def admins_q(prefix: str = "") -> Q:
    """is_admin as a filter on users (`prefix` for a relation, e.g. "user__"):
    superusers and accounts whose role is admin."""
    return Q(**{f"{prefix}is_superuser": True}) | Q(**{f"{prefix}profile__role": Role.ADMIN})


def can_respond(user: AnyUser) -> bool:
    """Declare incidents, write timelines, take roles."""
    return role_of(user) in (Role.RESPONDER, Role.ADMIN)

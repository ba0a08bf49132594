"""Reads about people: who can be chosen in the people pickers.

Each list is (username, name shown) pairs, ordered by name, ready for
`hotwash.core.forms.PeopleSelect`."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q

from hotwash.accounts.models import Role


def responders() -> list[tuple[str, str]]:
    """People who can hold a role or a task: (username, name) pairs."""
    users = (
        User.objects.filter(is_active=True)
        .filter(Q(profile__role__in=(Role.RESPONDER, Role.ADMIN)) | Q(is_superuser=True))
        .order_by("first_name", "last_name", "username")
    )
    return [(user.get_username(), _label(user)) for user in users]


def everyone_except(excluded: set[int]) -> list[tuple[str, str]]:
    """Active people not in `excluded` (ids), for adding participants."""
    users = User.objects.filter(is_active=True).exclude(pk__in=excluded)
    return [
        (user.get_username(), _label(user))
        for user in users.order_by("first_name", "last_name", "username")
    ]


def _label(user: User) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()

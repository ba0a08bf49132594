"""Who may see insights and themes: admins, and whoever holds the
"view insights" permission themselves or through one of their groups
(granted by admins, for example to a group of managers)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from hotwash.accounts.permissions import is_admin

VIEW_PERMISSION = "view_insights"
VIEW_PERMISSION_NAME = f"insights.{VIEW_PERMISSION}"


def can_view_insights(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return is_admin(user) or user.has_perm(VIEW_PERMISSION_NAME)

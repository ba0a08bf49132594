"""`user|can_view_insights`: whether the main navigation shows "Insights"."""

from __future__ import annotations

from django import template
from django.contrib.auth.models import AnonymousUser, User

from hotwash.insights.access import can_view_insights as _can_view

register = template.Library()


@register.filter
def can_view_insights(user: User | AnonymousUser) -> bool:
    return _can_view(user)

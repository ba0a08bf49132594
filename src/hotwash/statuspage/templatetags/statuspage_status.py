"""Filters of the status page templates: texts in the active language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from hotwash.statuspage.models import Maintenance, StakeholderUpdate

register = template.Library()


def _french() -> bool:
    return (get_language() or "en").startswith("fr")


@register.filter
def update_text(update: StakeholderUpdate) -> str:
    """The update's text in the reader's language (the other one if empty)."""
    return update.text(get_language() or "en")


@register.filter
def maintenance_title(item: Maintenance) -> str:
    if _french():
        return item.title_fr or item.title_en
    return item.title_en or item.title_fr


@register.filter
def maintenance_description(item: Maintenance) -> str:
    if _french():
        return item.description_fr or item.description_en
    return item.description_en or item.description_fr

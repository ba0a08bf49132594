"""Absolute links for messages and webhook payloads.

Built from HOTWASH_SITE_URL and the URL patterns, in the active language
(call inside `translation.override(recipient_language)`), so a French
reader's link opens the French page.
"""

from __future__ import annotations

from django.urls import reverse

from hotwash.notifications.conf import site_url


def absolute(path: str) -> str:
    return site_url() + path


def action_item_url(pk: int) -> str:
    return absolute(reverse("actions:detail", args=[pk]))


def my_action_items_url() -> str:
    # The list opens on the reader's own open items.
    return absolute(reverse("actions:list"))


def postmortem_url(pk: int) -> str:
    return absolute(reverse("postmortems:detail", args=[pk]))


def learned_url() -> str:
    return absolute(reverse("postmortems:learned"))


def reports_to_review_url() -> str:
    # The reviewers' list opens on the reports still open.
    return absolute(reverse("reports:list") + "?status=open")


def preferences_url() -> str:
    return absolute(reverse("notifications:preferences"))

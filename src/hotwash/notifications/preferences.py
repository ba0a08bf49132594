"""A person's email choices: mute the weekly digest, mute reminders before
due dates, choose which events of what they follow reach them. Overdue notices cannot be muted: they are how an action item
that slipped comes back to its owner."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from hotwash.core.audit import record_audit
from hotwash.notifications.models import FOLLOWABLE_EVENTS, NotificationPreference


def preference_for(user: User) -> NotificationPreference:
    """The person's preferences; defaults (everything on) if never saved."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


def update_notification_preferences(
    user: User,
    *,
    digests_muted: bool,
    reminders_muted: bool,
    followed_events: Iterable[str] | None = None,
) -> NotificationPreference:
    """Save the person's choices with an audit record (none if nothing
    changed). `followed_events` (None: unchanged) are the events of what
    they follow that reach them by mail, among FOLLOWABLE_EVENTS."""
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
            user=user
        )
        before: dict[str, Any] = {
            "digests_muted": preference.digests_muted,
            "reminders_muted": preference.reminders_muted,
            "followed_events": list(preference.followed_events),
        }
        events = before["followed_events"] if followed_events is None else followed_events
        after: dict[str, Any] = {
            "digests_muted": bool(digests_muted),
            "reminders_muted": bool(reminders_muted),
            # In the catalogue's order; unknown names are dropped.
            "followed_events": [str(e) for e in FOLLOWABLE_EVENTS if e in set(events)],
        }
        if before == after:
            return preference
        preference.digests_muted = after["digests_muted"]
        preference.reminders_muted = after["reminders_muted"]
        preference.followed_events = after["followed_events"]
        preference.save()
        record_audit(
            actor=user,
            action="notifications.preferences_changed",
            obj=preference,
            changes={"before": before, "after": after},
        )
    return preference

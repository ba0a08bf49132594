"""A person's email choices: mute the weekly digest, mute reminders before
due dates. Overdue notices cannot be muted: they are how an action item
that slipped comes back to its owner."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from hotwash.core.audit import record_audit
from hotwash.notifications.models import NotificationPreference


def preference_for(user: User) -> NotificationPreference:
    """The person's preferences; defaults (everything on) if never saved."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


def update_notification_preferences(
    user: User, *, digests_muted: bool, reminders_muted: bool
) -> NotificationPreference:
    """Save the person's choices with an audit record (none if nothing changed)."""
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
            user=user
        )
        before = {
            "digests_muted": preference.digests_muted,
            "reminders_muted": preference.reminders_muted,
        }
        after = {"digests_muted": bool(digests_muted), "reminders_muted": bool(reminders_muted)}
        if before == after:
            return preference
        preference.digests_muted = after["digests_muted"]
        preference.reminders_muted = after["reminders_muted"]
        preference.save()
        record_audit(
            actor=user,
            action="notifications.preferences_changed",
            obj=preference,
            changes={"before": before, "after": after},
        )
    return preference

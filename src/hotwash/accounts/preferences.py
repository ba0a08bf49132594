"""A person's own settings: the time zone times are shown in, and the
language of pages and (later) notifications."""

from __future__ import annotations

import functools
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from hotwash.accounts.models import Profile
from hotwash.accounts.services import profile_for
from hotwash.core.audit import record_audit
from hotwash.core.errors import InvalidInput


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """Every zone the system knows, sorted; the list is fixed per process."""
    return tuple(sorted(zoneinfo.available_timezones()))


def update_preferences(user: User, timezone: str, language: str) -> Profile:
    """Save the person's time zone and language, with an audit record."""
    zone = str(timezone or "").strip()
    if zone not in time_zone_names():
        raise InvalidInput(
            _("%(value)s is not a time zone Hotwash knows; pick one from the list.")
            % {"value": zone},
            field="timezone",
        )
    codes = [code for code, _name in settings.LANGUAGES]
    if language not in codes:
        raise InvalidInput(
            _("Unknown language %(value)s: use one of %(choices)s.")
            % {"value": language, "choices": ", ".join(codes)},
            field="language",
        )
    with transaction.atomic():
        profile = profile_for(user)
        before = {"timezone": profile.timezone, "language": profile.language}
        after = {"timezone": zone, "language": language}
        if before == after:
            return profile
        profile.timezone = zone
        profile.language = language
        profile.save(update_fields=["timezone", "language"])
        record_audit(
            actor=user,
            action="profile.preferences_changed",
            obj=profile,
            changes={"before": before, "after": after},
        )
    return profile

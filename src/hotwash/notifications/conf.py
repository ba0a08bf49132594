"""The notification schedule and links, from the settings.

Every value comes from settings.py (HOTWASH_REMINDER_DAYS_BEFORE,
HOTWASH_OVERDUE_NOTICE_DAYS, HOTWASH_DIGEST_WEEKDAY, HOTWASH_DIGEST_HOUR,
HOTWASH_SITE_URL); mail goes through Django's EMAIL_* settings, which
settings.py fills from HOTWASH_SMTP_URL or the HOTWASH_EMAIL_* variables.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Schedule:
    days_before: int  # a reminder goes out this many days before the due date (0: on the day)
    overdue_days: int  # an overdue notice goes out within this many days after the due date
    digest_weekday: int  # ISO weekday of the weekly digest, 1 = Monday
    digest_hour: int  # local hour (in the recipient's zone) from which the digest goes out


def schedule() -> Schedule:
    return Schedule(
        days_before=settings.REMINDER_DAYS_BEFORE,
        overdue_days=settings.OVERDUE_NOTICE_DAYS,
        digest_weekday=settings.DIGEST_WEEKDAY,
        digest_hour=settings.DIGEST_HOUR,
    )


def site_url() -> str:
    return str(settings.SITE_URL).rstrip("/")

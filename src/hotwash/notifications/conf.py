"""Notification settings, read from the environment when they are needed.

Email goes through SMTP, configured either by one URL

    HOTWASH_SMTP_URL=smtp+tls://hotwash%40example.org:secret@smtp.example.org:587

(`smtp://` plain, `smtp+tls://` STARTTLS, `smtps://` TLS from the first
byte; user and password percent-encoded) or by separate variables
(HOTWASH_EMAIL_HOST, _PORT, _USER, _PASSWORD, _USE_TLS, _USE_SSL). With
neither, messages are written to the worker's output instead of sent, which
is what a laptop wants. Links in messages start with HOTWASH_SITE_URL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

from hotwash.envconfig import ConfigurationError, env_bool, env_int, env_str
from hotwash.jobs.conf import env_seconds

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass(frozen=True)
class EmailSettings:
    backend: str
    host: str = ""
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    timeout: float = 10.0
    from_email: str = "Hotwash <hotwash@localhost>"

    @property
    def configured(self) -> bool:
        return self.backend == SMTP_BACKEND


def email_settings() -> EmailSettings:
    from_email = env_str("HOTWASH_EMAIL_FROM", "Hotwash <hotwash@localhost>")
    timeout = env_seconds("HOTWASH_EMAIL_TIMEOUT", 10.0, minimum=1.0)
    if url := env_str("HOTWASH_SMTP_URL", "").strip():
        return _from_url(url, from_email, timeout)
    host = env_str("HOTWASH_EMAIL_HOST", "").strip()
    if not host:
        return EmailSettings(backend=CONSOLE_BACKEND, from_email=from_email)
    use_ssl = env_bool("HOTWASH_EMAIL_USE_SSL", False)
    use_tls = env_bool("HOTWASH_EMAIL_USE_TLS", False)
    if use_ssl and use_tls:
        raise ConfigurationError(
            "HOTWASH_EMAIL_USE_TLS (STARTTLS) and HOTWASH_EMAIL_USE_SSL (TLS from the "
            "start) exclude each other; set one."
        )
    return EmailSettings(
        backend=SMTP_BACKEND,
        host=host,
        port=env_int("HOTWASH_EMAIL_PORT", 465 if use_ssl else 25, minimum=1),
        username=env_str("HOTWASH_EMAIL_USER", ""),
        password=env_str("HOTWASH_EMAIL_PASSWORD", ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
        timeout=timeout,
        from_email=from_email,
    )


def _from_url(url: str, from_email: str, timeout: float) -> EmailSettings:
    parts = urlsplit(url)
    schemes = {
        "smtp": (False, False, 25),
        "smtp+tls": (True, False, 587),
        "smtps": (False, True, 465),
    }
    if parts.scheme not in schemes or not parts.hostname:
        raise ConfigurationError(
            "HOTWASH_SMTP_URL must look like smtp://host:25, smtp+tls://user:password@host:587 "
            f"or smtps://user:password@host:465; got {parts.scheme}://…"
        )
    use_tls, use_ssl, default_port = schemes[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ConfigurationError("HOTWASH_SMTP_URL has a port that is not a number.") from None
    return EmailSettings(
        backend=SMTP_BACKEND,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
        timeout=timeout,
        from_email=from_email,
    )


def email_connection() -> BaseEmailBackend:
    """A mail connection built from the environment, not from Django's
    EMAIL_* settings (which Hotwash leaves at their defaults)."""
    conf = email_settings()
    if not conf.configured:
        return get_connection(CONSOLE_BACKEND)
    return get_connection(
        SMTP_BACKEND,
        host=conf.host,
        port=conf.port,
        username=conf.username or None,
        password=conf.password or None,
        use_tls=conf.use_tls,
        use_ssl=conf.use_ssl,
        timeout=conf.timeout,
        fail_silently=False,
    )


# --- the schedule -------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    days_before: int  # a reminder goes out this many days before the due date (0: on the day)
    overdue_days: int  # an overdue notice goes out within this many days after the due date
    digest_weekday: int  # ISO weekday of the weekly digest, 1 = Monday
    digest_hour: int  # local hour (in the recipient's zone) from which the digest goes out


def schedule() -> Schedule:
    return Schedule(
        days_before=env_int("HOTWASH_REMINDER_DAYS_BEFORE", 3, minimum=0),
        overdue_days=env_int("HOTWASH_OVERDUE_NOTICE_DAYS", 7, minimum=1),
        digest_weekday=_weekday(env_str("HOTWASH_DIGEST_WEEKDAY", "monday")),
        digest_hour=_hour(env_int("HOTWASH_DIGEST_HOUR", 8, minimum=0)),
    )


def scan_interval() -> dt.timedelta:
    """How often the reminder and digest scans run (read once, when the jobs
    are registered)."""
    return dt.timedelta(seconds=env_seconds("HOTWASH_NOTIFICATION_SCAN_SECONDS", 300, minimum=1))


def webhook_timeout() -> float:
    return env_seconds("HOTWASH_WEBHOOK_TIMEOUT", 10.0, minimum=1.0)


def site_url() -> str:
    return str(settings.SITE_URL).rstrip("/")


def _weekday(raw: str) -> int:
    value = raw.strip().lower()
    if value.isdigit() and 1 <= int(value) <= 7:
        return int(value)
    for number, name in enumerate(WEEKDAYS, start=1):
        if value in (name, name[:3]):
            return number
    raise ConfigurationError(
        f"HOTWASH_DIGEST_WEEKDAY must be a day of the week (monday … sunday, or 1-7); got {raw!r}"
    )


def _hour(value: int) -> int:
    if value > 23:
        raise ConfigurationError(f"HOTWASH_DIGEST_HOUR must be an hour from 0 to 23; got {value}")
    return value

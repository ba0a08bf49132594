"""Typed readers for environment variables.

Every setting Hotwash reads from the environment is read in settings.py
through one of these helpers, so a bad value fails loudly at start-up with
the variable's name instead of surfacing later as a confusing error. Code
elsewhere reads `django.conf.settings`, never the environment (the
exceptions say why where they are: hotwash.core.secret_env, hotwash.client).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit


class ConfigurationError(ValueError):
    """An environment variable holds a value Hotwash cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}; got {value}")
    return value


def env_seconds(name: str, default: float, *, minimum: float = 0.0) -> float:
    """A number of seconds (decimals allowed), at least `minimum`."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of seconds; got {raw!r}") from None
    if not math.isfinite(value) or value < minimum:
        raise ConfigurationError(f"{name} must be a number of seconds ≥ {minimum:g}; got {raw!r}")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, whatever its case; returned as spelled in `choices`."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    for choice in choices:
        if raw.strip().lower() == choice.lower():
            return choice
    raise ConfigurationError(f"{name} must be one of {', '.join(choices)}; got {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    return Path(raw).expanduser().resolve() if raw else default


def env_weekday(name: str, default: str) -> int:
    """A day of the week (monday … sunday, mon … sun, or 1-7) as its ISO
    number, 1 = Monday."""
    raw = env_str(name, default)
    value = raw.strip().lower()
    if value.isdigit() and 1 <= int(value) <= 7:
        return int(value)
    for number, day in enumerate(WEEKDAYS, start=1):
        if value in (day, day[:3]):
            return number
    raise ConfigurationError(
        f"{name} must be a day of the week (monday … sunday, or 1-7); got {raw!r}"
    )


def env_hour(name: str, default: int) -> int:
    """An hour of the day, 0 to 23."""
    value = env_int(name, default, minimum=0)
    if value > 23:
        raise ConfigurationError(f"{name} must be an hour from 0 to 23; got {value}")
    return value


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes: what Django's EMAIL_* settings say. An empty host
    means no server is configured."""

    host: str = ""
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False  # STARTTLS after connecting
    use_ssl: bool = False  # TLS from the first byte


# scheme: (use_tls, use_ssl, default port)
_SMTP_SCHEMES = {
    "smtp": (False, False, 25),
    "smtp+tls": (True, False, 587),
    "smtps": (False, True, 465),
}


def env_smtp_url(name: str) -> SmtpServer | None:
    """An SMTP server given as one URL (`smtp://host:25`,
    `smtp+tls://user:password@host:587`, `smtps://user:password@host:465`;
    user and password percent-encoded), or None when the variable is unset
    or empty."""
    raw = env_str(name, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in _SMTP_SCHEMES or not parts.hostname:
        # The value is left out: it may hold a password.
        raise ConfigurationError(
            f"{name} must look like smtp://host:25, smtp+tls://user:password@host:587 "
            f"or smtps://user:password@host:465; got {parts.scheme}://…"
        )
    use_tls, use_ssl, default_port = _SMTP_SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ConfigurationError(f"{name} has a port that is not a number.") from None
    return SmtpServer(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
    )

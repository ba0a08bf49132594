"""Settings of the worker, read from the environment when they are needed
(so a test or a command can change them without reloading settings)."""

from __future__ import annotations

import math
import os
from datetime import timedelta

from hotwash.envconfig import ConfigurationError, env_int

# The longest wait between two attempts, however many attempts failed.
MAX_RETRY_DELAY = timedelta(hours=6)


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


def worker_interval() -> float:
    """Seconds an idle worker waits before looking for work again."""
    return env_seconds("HOTWASH_WORKER_INTERVAL", 1.0, minimum=0.0)


def task_max_attempts() -> int:
    """How many times a task that calls the outside world (an email, a
    webhook, a tracker) is tried before it is given up as failed."""
    return env_int("HOTWASH_TASK_MAX_ATTEMPTS", 6, minimum=1)


def task_retry_seconds() -> float:
    """The wait before the first retry; it doubles after each failure."""
    return env_seconds("HOTWASH_TASK_RETRY_SECONDS", 60.0, minimum=0.0)

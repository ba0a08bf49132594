"""Retries with exponential backoff for tasks that call the outside world.

django-tasks runs a task once and records whether it failed; it has no
retries of its own. A task that sends an email or calls a webhook takes an
`attempt` keyword argument and, when the call fails, asks `retry_later` to
enqueue the next attempt with a `run_after` in the future, then re-raises:
the failed attempt stays visible (with its traceback) among the task
results in the admin, and the next attempt waits its turn in the queue
without holding a worker.

    @task()
    def deliver(thing_id: int, attempt: int = 1) -> None:
        try:
            call_the_world(thing_id)
        except NetworkError:
            retry_later(deliver, thing_id, attempt=attempt)
            raise
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

# The longest wait between two attempts, however many attempts failed.
MAX_RETRY_DELAY = timedelta(hours=6)


def retry_delay(attempt: int) -> timedelta:
    """The wait after failed attempt number `attempt` (1-based): the base
    delay (TASK_RETRY_SECONDS), doubled after each further failure, capped
    at six hours."""
    seconds = settings.TASK_RETRY_SECONDS * 2 ** max(0, attempt - 1)
    return min(timedelta(seconds=seconds), MAX_RETRY_DELAY)


def retry_later(
    task: Any, *args: Any, attempt: int, at_least: float | None = None, **kwargs: Any
) -> datetime | None:
    """Enqueue attempt `attempt + 1` of `task` after the backoff delay (or
    after `at_least` seconds, when the service asked for longer with
    Retry-After) and return when it will run, or return None when `attempt`
    was the last one allowed (TASK_MAX_ATTEMPTS)."""
    if attempt >= settings.TASK_MAX_ATTEMPTS:
        return None
    delay = retry_delay(attempt)
    if at_least is not None:
        delay = max(delay, min(timedelta(seconds=at_least), MAX_RETRY_DELAY))
    run_after = timezone.now() + delay
    task.using(run_after=run_after).enqueue(*args, attempt=attempt + 1, **kwargs)
    return run_after

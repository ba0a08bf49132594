"""The registry of periodic jobs that `hotwash worker` runs.

An app declares a job where its code lives, and imports that module from
its AppConfig.ready() so the registry is complete in every process::

    @periodic("actions.reminders", every=timedelta(minutes=5))
    def send_due_reminders(now: datetime) -> None: ...

A job receives the time it runs for. The worker claims each run in the
database before calling the job, so two workers never run the same job for
the same slot; jobs must still be idempotent (a crash mid-run means the next
slot repeats the work), which is why they record what they sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

JobFunction = Callable[[datetime], object]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    function: JobFunction


_REGISTRY: dict[str, PeriodicJob] = {}


def periodic(name: str, *, every: timedelta) -> Callable[[JobFunction], JobFunction]:
    """Register `function` to run every `every` under `name` (unique)."""
    if every <= timedelta(0):
        raise ValueError(f"periodic job {name!r} needs a positive interval")

    def register(function: JobFunction) -> JobFunction:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.function is not function:
            raise ValueError(f"periodic job {name!r} is registered twice")
        _REGISTRY[name] = PeriodicJob(name=name, every=every, function=function)
        return function

    return register


def registered_jobs() -> list[PeriodicJob]:
    """Every registered job, in name order."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]

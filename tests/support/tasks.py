"""Queued tasks for tests of real worker processes: importable by a
`hotwash worker` started from the repository, like the apps' own tasks."""

from __future__ import annotations

import time

from django_tasks import task


@task()
def nap(seconds: float) -> float:
    """A task that takes a while, so a test can stop a worker in the middle of it."""
    time.sleep(seconds)
    return seconds

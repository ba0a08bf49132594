"""`hotwash worker`: run queued tasks and periodic jobs until stopped."""

from __future__ import annotations

import logging
import sys
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TASKS_LOGGER

from hotwash.core.logging import JsonFormatter, RequestIdFilter
from hotwash.jobs.schedule import registered_jobs
from hotwash.jobs.worker import HotwashWorker, stop_when_closed


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if seconds < 0:
        raise ArgumentTypeError("must be zero or more")
    return seconds


class Command(BaseCommand):
    help = (
        "Run background work: tasks from the database queue (emails, webhooks, tracker "
        "calls) and the periodic jobs (reminder scans, digests, tracker polls). Run one "
        "or more; each periodic run happens on exactly one of them. Stops cleanly on "
        "SIGTERM or Ctrl-C after the task or job in hand."
    )
    # Started by `hotwash serve`, which checked the configuration first; a
    # standalone worker's web processes check it too.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run the periodic jobs that are due, then every ready task, then exit "
            "(for cron and tests).",
        )
        parser.add_argument(
            "--interval",
            type=_seconds,
            default=None,
            help="Seconds to wait when there is nothing to do "
            "(default: HOTWASH_WORKER_INTERVAL or 1).",
        )
        parser.add_argument(
            "--queue",
            default="default",
            help="Comma-separated task queues to take tasks from; '*' for all (default: default).",
        )
        parser.add_argument(
            "--no-periodic", action="store_true", help="Only run queued tasks, no periodic jobs."
        )
        parser.add_argument(
            "--no-tasks", action="store_true", help="Only run periodic jobs, no queued tasks."
        )
        parser.add_argument(
            "--worker-id",
            default=None,
            help="A name for this worker in logs and task results (default: random).",
        )
        parser.add_argument(
            "--list", action="store_true", help="List the registered periodic jobs and exit."
        )
        parser.add_argument(
            "--stop-when-stdin-closes",
            action="store_true",
            help="Also stop gracefully when standard input closes (how `hotwash serve` runs "
            "the worker it starts beside itself).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in registered_jobs():
                self.stdout.write(f"{job.name}\tevery {job.every}")
            return
        self._configure_logging(options["verbosity"])
        worker_id = options["worker_id"] or get_random_string(12)
        interval = options["interval"]
        worker = HotwashWorker(
            worker_id=worker_id[:64],
            queue_names=[q.strip() for q in options["queue"].split(",") if q.strip()],
            interval=settings.WORKER_INTERVAL if interval is None else interval,
            once=options["once"],
            periodic=not options["no_periodic"],
            tasks=not options["no_tasks"],
        )
        worker.configure_signals()
        if options["stop_when_stdin_closes"]:
            stop_when_closed(sys.stdin.buffer, worker)
        try:
            worker.run()
        finally:
            worker.reset_signals()

    def _configure_logging(self, verbosity: int) -> None:
        """Log to stdout: INFO at the default verbosity, DEBUG with -v2,
        errors only with -v0."""
        level = {0: logging.ERROR, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        handler = logging.StreamHandler(sys.stdout)
        handler.set_name("hotwash-worker")
        # HOTWASH_LOG_FORMAT=json: the same JSON lines as the web server's.
        handler.setFormatter(
            JsonFormatter()
            if settings.LOG_FORMAT == "json"
            else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        handler.addFilter(RequestIdFilter())
        for name in ("hotwash", "django_tasks_db", TASKS_LOGGER):
            log = logging.getLogger(name)
            log.setLevel(level)
            if not any(h.get_name() == "hotwash-worker" for h in log.handlers):
                log.addHandler(handler)
            log.propagate = False

"""`hotwash serve`: the production server.

Granian's WSGI interface, chosen by measurement (DESIGN.md): about 18,000
trivial responses/s on this class of machine against about 2,000 for Django
through ASGI. Live updates are server-sent event streams that each hold one
blocking thread while idle, so the thread pool is sized for subscribers, not
for CPU work; idle threads cost memory, not CPU.

On SQLite it also runs the background worker beside the web server
(hotwash.core.embedded_worker), so that one command runs everything; on
PostgreSQL separate `hotwash worker` processes are the way to scale.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from granian.constants import Interfaces
from granian.log import LogLevels
from granian.log import logger as granian_logger
from granian.server import Server
from granian.server.common import AbstractServer

from hotwash.core.embedded_worker import EmbeddedWorker, worker_command
from hotwash.core.prometheus import prepare_metrics


def embeds_worker(choice: bool | None) -> bool:
    """--worker or --no-worker, else the database's default: on SQLite one
    process runs everything; on PostgreSQL workers are processes of their
    own, as many as the work needs, whatever the number of web servers."""
    if choice is not None:
        return choice
    return str(settings.DATABASES["default"]["ENGINE"]).endswith("sqlite3")


class _ThreadCountNotice(logging.Filter):
    """Drop granian's start-up warning that more threads than about twice
    the CPU cores "seems quite high". It assumes threads that compute; ours
    mostly wait, each holding an idle live-update stream, and backpressure
    already bounds the requests in flight (docs/operations.md explains the
    sizing)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Python threads, which seems quite high" not in record.getMessage()


class Command(BaseCommand):
    help = (
        "Serve Hotwash (pages, API and live updates) with granian and, on SQLite, run the "
        "background worker beside it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.SERVER_WORKERS,
            help="Worker processes (env HOTWASH_WORKERS). Live updates cross processes "
            "only on PostgreSQL; keep 1 on SQLite.",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=settings.SERVER_THREADS,
            help="Threads per worker (env HOTWASH_THREADS); each open live-update "
            "stream holds one.",
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="Skip collecting static files before starting.",
        )
        parser.add_argument("--access-log", action="store_true", help="Log every request.")
        background = parser.add_mutually_exclusive_group()
        background.add_argument(
            "--worker",
            dest="embedded_worker",
            action="store_true",
            default=None,
            help="Run the background worker (reminders, trigger checks, emails, tracker "
            "calls) beside the server, in a child process: the default on SQLite.",
        )
        background.add_argument(
            "--no-worker",
            dest="embedded_worker",
            action="store_false",
            help="Do not run the background worker; run `hotwash worker` separately: "
            "the default on PostgreSQL.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._collect_static(options["no_collectstatic"])
        embedded = embeds_worker(options["embedded_worker"])
        self._announce(options, embedded)
        # The thread count bounds the live streams a worker accepts
        # (hotwash.incidents.views.live), so --threads must reach the workers' settings.
        # Granian forks its workers from this process, and a forked worker
        # keeps the settings read here: the one setting changed here is
        # SERVER_THREADS. A worker started afresh (the spawn or forkserver
        # start method) reads settings.py again, so the environment says the
        # same. Nothing else differs between this process and its workers
        # (DEBUG once did; every process runs with what settings.py read).
        settings.SERVER_THREADS = options["threads"]
        os.environ["HOTWASH_THREADS"] = str(options["threads"])
        prepare_metrics(options["workers"])
        server = self._server(options)
        if embedded:
            self._embed_worker(server, options["verbosity"])
        server.serve()

    def _collect_static(self, skip: bool) -> None:
        if not skip:
            call_command("collectstatic", interactive=False, verbosity=0)
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)

    def _announce(self, options: dict[str, Any], embedded: bool) -> None:
        database = str(settings.DATABASES["default"]["ENGINE"]).rsplit(".", 1)[-1]
        self.stdout.write(
            _("Hotwash serving on %(url)s (web processes: %(workers)d, database: %(database)s)")
            % {
                "url": f"http://{options['host']}:{options['port']}/",
                "workers": options["workers"],
                "database": database,
            }
        )
        if embedded:
            line = _(
                "Background worker: runs beside the server (reminders, trigger checks, emails, "
                "tracker calls); --no-worker turns it off."
            )
        else:
            line = _(
                "Background worker: not in this process; run `hotwash worker` beside it "
                "(or serve with --worker)."
            )
        self.stdout.write(line)
        self.stdout.flush()

    def _embed_worker(self, server: AbstractServer[Any], verbosity: int) -> None:
        """Start `hotwash worker` once the socket is bound, in granian's main
        process (so once, however many web processes it forks), and stop it
        after the web processes have stopped."""
        # At the default verbosity the worker reports only errors: a line per
        # periodic job every 30 s would drown the server's own output.
        worker = EmbeddedWorker(
            worker_command(f"serve-{get_random_string(8)}", 0 if verbosity < 2 else verbosity)
        )

        def start() -> None:
            worker.start()
            self.stdout.write(
                _("Background worker started (process %(pid)d).") % {"pid": worker.pid}
            )
            self.stdout.flush()

        server.on_startup(start)
        server.on_shutdown(worker.stop)

    def _server(self, options: dict[str, Any]) -> AbstractServer[Any]:
        server: AbstractServer[Any] = Server(
            "hotwash.wsgi:application",
            address=options["host"],
            port=options["port"],
            interface=Interfaces.WSGI,
            workers=options["workers"],
            blocking_threads=options["threads"],
            # Bound the requests in flight so an overload queues in the
            # socket backlog instead of exhausting memory.
            backpressure=options["threads"],
            websockets=False,
            # Open live-update streams would hold a restart for up to
            # LIVE_STREAM_SECONDS; browsers reconnect to the new process anyway.
            workers_kill_timeout=10,
            log_level=LogLevels.warning,
            log_access=options["access_log"],
            # No static route: granian's cannot add headers, so static files
            # go through Django (hotwash.core.middleware.StaticFilesMiddleware)
            # and carry nosniff and the other security headers.
        )
        # granian configured its logger just now, in Server(); the warning
        # comes from serve().
        granian_logger.addFilter(_ThreadCountNotice())
        return server

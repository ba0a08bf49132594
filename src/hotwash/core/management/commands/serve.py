"""`hotwash serve`: the production server.

Granian's WSGI interface, chosen by measurement (DESIGN.md): about 18,000
trivial responses/s on this class of machine against about 2,000 for Django
through ASGI. Live updates are server-sent event streams that each hold one
blocking thread while idle, so the thread pool is sized for subscribers, not
for CPU work; idle threads cost memory, not CPU.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import Server

from hotwash.core.prometheus import prepare_metrics


class Command(BaseCommand):
    help = "Serve Hotwash (pages, API and live updates) with granian."

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

    def handle(self, *args: Any, **options: Any) -> None:
        static_root = Path(settings.STATIC_ROOT)
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        static_root.mkdir(parents=True, exist_ok=True)
        self.stdout.write(
            f"Hotwash serving on http://{options['host']}:{options['port']}/ "
            f"({options['workers']} worker(s), database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
        )
        self.stdout.flush()
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
        Server(
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
        ).serve()

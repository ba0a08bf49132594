"""The ceiling of bench/status.py: a bare WSGI app (a fixed body, no Django)
served by the same server stack as `hotwash serve` (granian's WSGI
interface, the same workers, threads and backpressure). It exists only in
the bench.

    python bench/status_ceiling.py --port 8123 --workers 2 --threads 256 --body-bytes 9000
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable
from typing import Any

BODY = b"x" * int(os.environ.get("STATUS_CEILING_BODY_BYTES", "2"))


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response(
        "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]
    )
    return [BODY]


def main() -> None:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=256)
    parser.add_argument("--body-bytes", type=int, default=2)
    args = parser.parse_args()
    os.environ["STATUS_CEILING_BODY_BYTES"] = str(args.body_bytes)
    # The arguments hotwash.core.management.commands.serve gives granian.
    Server(
        "status_ceiling:application",
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers,
        blocking_threads=args.threads,
        backpressure=args.threads,
        websockets=False,
        workers_kill_timeout=10,
        log_level=LogLevels.warning,
        log_access=False,
    ).serve()


if __name__ == "__main__":
    main()

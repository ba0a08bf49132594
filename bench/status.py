"""Measure the public status page under a crowd, against the communications issue's targets.

    python bench/status.py                          # SQLite, 2 server processes
    python bench/status.py --database postgresql --seconds 20

It creates a throwaway database, migrates it, and fills it with a public
service and an open SEV2 incident with three public updates. Then it starts
the real server (`hotwash serve --workers 2`) on a loopback port and, from
client processes (several threads each, kept-alive connections, plain
http.client: far less client CPU per request than httpx), requests
`/en/status/` for `--seconds` while a new public update is published every
`--publish-every` seconds (a StakeholderUpdate and the update_published
signal in one transaction, as the publishing service does; the page is
rendered after the commit). For each update it times how long until the
text is served on `--visible-checks` fresh connections in a row (new
connections land on either server process).

In the same run it starts a bare WSGI app (a fixed body of the status page's
size, no Django: bench/status_ceiling.py) on the same server stack (granian,
the same workers, threads and backpressure) and measures it the same way:
the ceiling.

Targets (issue 12): ≥ 30 % of the ceiling's requests per second, p99 under
50 ms, a new update visible within 2 s. Everything it starts is stopped and
every database it creates is dropped, also on Ctrl-C. It prints figures;
nothing here is a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from _common import BENCH_DIR, RESULTS_DIR, percentile, setup_django
from core import (
    HOST,
    HOTWASH,
    PG_ADMIN_URL,
    BenchError,
    Database,
    _children,
    _wait_until_up,
    free_port,
    machine,
    start,
    stop,
    throwaway_database,
)

PAGE = "/en/status/"
TARGET_CEILING_SHARE = 0.30
TARGET_P99_MS = 50.0
TARGET_VISIBLE_S = 2.0
SERVICE = "checkout"


# --- load --------------------------------------------------------------------------


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "requests": len(self.latencies),
            "per_second": round(self.per_second, 1),
            "seconds": round(self.seconds, 2),
            "p50_ms": round(percentile(self.latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(self.latencies, 99) * 1000, 2),
            "errors": self.errors,
        }


def _client_process(port: int, path: str, threads: int, seconds: float, out: Any) -> None:
    """One client process: `threads` threads GET `path` on kept-alive
    connections until the time is up; sends (latencies, errors) to `out`."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        failed: dict[str, int] = {}
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                status = type(error).__name__
            elapsed = time.perf_counter() - started
            if status == "200":
                mine.append(elapsed)
            else:
                failed[status] = failed.get(status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for key, value in failed.items():
                errors[key] = errors.get(key, 0) + value

    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 60)
    out.send((latencies, errors))
    out.close()


def hammer(
    port: int,
    path: str,
    args: argparse.Namespace,
    seconds: float,
    during: threading.Thread | None = None,
) -> Load:
    """GET `path` from `--client-processes` processes x `--clients` threads;
    `during` starts once they are forked (never fork with threads running)."""
    context = multiprocessing.get_context("fork")
    pipes = []
    processes = []
    started = time.perf_counter()
    for _ in range(args.client_processes):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_client_process, args=(port, path, args.clients, seconds, send), daemon=True
        )
        process.start()
        send.close()
        pipes.append(receive)
        processes.append(process)
    if during is not None:
        during.start()
    load = Load()
    for receive in pipes:
        latencies, errors = receive.recv()
        load.latencies.extend(latencies)
        for key, value in errors.items():
            load.errors[key] = load.errors.get(key, 0) + value
    for process in processes:
        process.join(30)
    load.seconds = time.perf_counter() - started
    if during is not None:
        during.join(60)
    return load


# --- the data and the updates --------------------------------------------------------


def seed() -> Any:
    """A public service and an open SEV2 incident with three public updates
    (in this process, through Django); returns the incident."""
    from hotwash.accounts.models import Role
    from hotwash.accounts.services import create_user
    from hotwash.incidents.models import Service
    from hotwash.incidents.services import declare_incident

    Service.objects.create(name=SERVICE, public=True, public_name="Online checkout")
    user = create_user("bench", password="bench-password-42", role=Role.ADMIN)
    incident = declare_incident(actor=user, title="Checkout errors", services=[SERVICE], severity=2)
    for number in range(3):
        publish(incident, f"Seed update {number}")
    return incident


def publish(incident: Any, text: str) -> None:
    """A public update, as the publishing service writes it: the row and the
    update_published signal in one transaction; the page renders after it."""
    from django.db import transaction
    from django.utils import timezone

    from hotwash.statuspage.models import StakeholderUpdate
    from hotwash.statuspage.signals import update_published

    now = timezone.now()
    with transaction.atomic():
        update = StakeholderUpdate.objects.create(
            incident=incident,
            audience="public",
            status="identified",
            text_en=text,
            text_fr=f"(fr) {text}",
            published_at=now,
        )
        update_published.send(StakeholderUpdate, update=update, incident=incident, now=now)


def seen_on_fresh_connection(port: int, text: bytes) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", PAGE, headers={"Connection": "close"})
        return text in conn.getresponse().read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def publisher(
    incident: Any, port: int, args: argparse.Namespace, stop_at: float, results: list[float]
) -> None:
    """Every --publish-every seconds: publish an update, then time until it
    is served on --visible-checks fresh connections in a row."""
    number = 0
    while time.monotonic() + args.publish_every < stop_at:
        time.sleep(args.publish_every)
        number += 1
        text = f"Bench update {number} at {time.time():.3f}"
        started = time.perf_counter()
        publish(incident, text)
        in_a_row = 0
        deadline = time.perf_counter() + 30
        while in_a_row < args.visible_checks and time.perf_counter() < deadline:
            if seen_on_fresh_connection(port, text.encode()):
                in_a_row += 1
            else:
                in_a_row = 0
                time.sleep(0.02)
        results.append(
            time.perf_counter() - started if in_a_row >= args.visible_checks else float("inf")
        )


# --- servers -----------------------------------------------------------------------


@contextmanager
def hotwash_server(database: Database, args: argparse.Namespace) -> Iterator[int]:
    port = free_port()
    command = [*HOTWASH, "serve", "--host", HOST, "--port", str(port), "--no-collectstatic"]
    command += ["--workers", str(args.workers), "--threads", str(args.server_threads)]
    with _logged(command, database.env, "hotwash", database.kind) as process:
        _wait_until_up(f"http://{HOST}:{port}", process.process, process.log)
        yield port


@contextmanager
def ceiling_server(database: Database, args: argparse.Namespace, body_bytes: int) -> Iterator[int]:
    port = free_port()
    command = [sys.executable, str(BENCH_DIR / "status_ceiling.py"), "--port", str(port)]
    command += ["--workers", str(args.workers), "--threads", str(args.server_threads)]
    command += ["--body-bytes", str(body_bytes)]
    env = {**database.env, "PYTHONPATH": str(BENCH_DIR)}
    with _logged(command, env, "ceiling", database.kind) as process:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.process.poll() is not None:
                raise BenchError(f"the ceiling server exited:\n{process.log.read_text()}")
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                time.sleep(0.2)
        yield port


@dataclass
class _Running:
    process: subprocess.Popen[bytes]
    log: Any


@contextmanager
def _logged(command: list[str], env: dict[str, str], name: str, kind: str) -> Iterator[_Running]:
    log_path = RESULTS_DIR / f"server-status-{kind}-{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = start(command, env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield _Running(process, log_path)
        finally:
            stop(process)
    tracebacks = log_path.read_text(errors="replace").count("Traceback")
    if tracebacks:
        print(f"  The {name} server logged {tracebacks} tracebacks: see {log_path}.", flush=True)


# --- the run -----------------------------------------------------------------------


def bench(args: argparse.Namespace) -> dict[str, Any]:
    run: dict[str, Any] = {"database": args.database}
    with throwaway_database(args.database, args.pg_url) as database:
        # This process publishes the updates: the database's settings, as the server's.
        for name in ("DATABASE_URL", "HOTWASH_DATA_DIR", "HOTWASH_DEBUG"):
            os.environ[name] = database.env[name]
        setup_django()
        incident = seed()
        with hotwash_server(database, args) as port:
            conn = http.client.HTTPConnection(HOST, port, timeout=10)
            conn.request("GET", PAGE)
            response = conn.getresponse()
            body = response.read()
            run["page_bytes"] = len(body)
            run["headers"] = dict(response.getheaders())
            conn.close()
            if response.status != 200:
                raise BenchError(f"{PAGE} answered {response.status}")
            print(f"  warm-up ({args.warmup:.0f} s)…", flush=True)
            hammer(port, PAGE, args, args.warmup)
            print(
                f"  {PAGE} for {args.seconds:.0f} s, an update every {args.publish_every:.0f} s…",
                flush=True,
            )
            visible: list[float] = []
            stop_at = time.monotonic() + args.seconds
            thread = threading.Thread(
                target=publisher, args=(incident, port, args, stop_at, visible), daemon=True
            )
            run["status"] = hammer(port, PAGE, args, args.seconds, during=thread).summary()
            run["visible_s"] = [round(v, 3) for v in visible]
        with ceiling_server(database, args, run["page_bytes"]) as port:
            print(f"  bare WSGI ceiling for {args.seconds:.0f} s…", flush=True)
            hammer(port, "/", args, args.warmup)
            run["ceiling"] = hammer(port, "/", args, args.seconds).summary()
        from django.db import connections

        connections.close_all()
    return run


def _ok(passed: bool) -> str:
    return "ok" if passed else "MISSED"


def report(run: dict[str, Any]) -> str:
    status, ceiling, visible = run["status"], run["ceiling"], run["visible_s"]
    share = status["per_second"] / ceiling["per_second"] if ceiling["per_second"] else 0.0
    worst = max(visible) if visible else float("nan")
    rows = [
        ["figure", "measured", "target"],
        [f"{PAGE} requests per s", f"{status['per_second']:,.0f}", ""],
        ["bare WSGI ceiling per s (same stack)", f"{ceiling['per_second']:,.0f}", ""],
        [
            "status page / ceiling",
            f"{share:.0%} ({_ok(share >= TARGET_CEILING_SHARE)})",
            f">= {TARGET_CEILING_SHARE:.0%}",
        ],
        [
            f"{PAGE} p50 / p99",
            f"{status['p50_ms']:.1f} / {status['p99_ms']:.1f} ms "
            f"({_ok(status['p99_ms'] < TARGET_P99_MS)})",
            f"p99 < {TARGET_P99_MS:.0f} ms",
        ],
        ["ceiling p50 / p99", f"{ceiling['p50_ms']:.1f} / {ceiling['p99_ms']:.1f} ms", ""],
        [
            "new update visible: median / worst",
            f"{percentile(visible, 50):.2f} / {worst:.2f} s ({_ok(worst <= TARGET_VISIBLE_S)})"
            if visible
            else "no update measured (MISSED)",
            f"<= {TARGET_VISIBLE_S:.0f} s",
        ],
        ["updates published during the load", str(len(visible)), ""],
        [
            "errors (status page / ceiling)",
            f"{status['errors'] or 0} / {ceiling['errors'] or 0}",
            "",
        ],
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=float, default=20.0, help="Per measurement (20).")
    parser.add_argument("--warmup", type=float, default=3.0, help="Warm-up seconds (3).")
    parser.add_argument("--publish-every", type=float, default=3.0, help="Seconds (3).")
    parser.add_argument(
        "--visible-checks",
        type=int,
        default=3,
        help="Fresh connections in a row that must show a new update (3).",
    )
    parser.add_argument("--client-processes", type=int, default=2, help="(2)")
    parser.add_argument("--clients", type=int, default=8, help="Threads per client process (8).")
    parser.add_argument("--workers", type=int, default=2, help="Server processes (2).")
    parser.add_argument(
        "--server-threads", type=int, default=32, help="Threads per server process (32)."
    )
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL admin URL.")
    parser.add_argument("--no-json", action="store_true", help="Do not write bench/results/.")
    return parser.parse_args(argv)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if os.getloadavg()[0] > 1.0:
        print(
            f"Warning: the load average is {os.getloadavg()[0]:.1f}; other work on this "
            "machine will skew the figures.",
            file=sys.stderr,
        )
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    started_at = datetime.now(UTC)
    try:
        run = bench(args)
    except KeyboardInterrupt:
        print("\nInterrupted; everything started was stopped.", file=sys.stderr)
        return 130
    except BenchError as error:
        print(f"\nThe bench could not finish: {error}", file=sys.stderr)
        return 1
    finally:
        for process in list(_children):
            stop(process)
    print(
        f"\nHotwash status page bench, {started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"{args.database}; server: {args.workers} process(es) x {args.server_threads} threads; "
        f"clients: {args.client_processes} processes x {args.clients} threads; "
        f"{run['page_bytes']:,} bytes per page."
    )
    print(report(run))
    if not args.no_json:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"status-{started_at:%Y%m%d-%H%M%S}.json"
        config = {k: v for k, v in vars(args).items() if k != "pg_url"}
        path.write_text(
            json.dumps(
                {
                    "started_at": started_at.isoformat(),
                    "machine": machine(),
                    "config": config,
                    "run": run,
                },
                indent=2,
                default=str,
            )
        )
        print(f"\nResults written to {path}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

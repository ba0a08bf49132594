"""Measure alert ingestion against the targets of the alerts issue.

    python bench/alerts.py                       # SQLite and PostgreSQL
    python bench/alerts.py --databases sqlite --singles 3000 --batches 200

For each database it creates a throwaway database, migrates it, creates an
Alertmanager alert source, starts the real server (`hotwash serve`) and
measures over loopback, from client threads on kept-alive connections:

- single-alert webhooks: Alertmanager notifications carrying one new alert
  each (a new fingerprint every time, spread over 50 groups), per second
  and their p50/p99 latency;
- batches: notifications of 100 new alerts each (one group per
  notification, as Alertmanager sends them), alerts per second;
- the storage ceiling, in the same run and on the same server stack
  (granian's WSGI interface, Django's handler and middleware, the same
  database settings): a bare endpoint that only commits one raw SQL upsert
  per request (bench/alerts_ceiling_urls.py, served with
  bench/alerts_ceiling_settings.py; it exists only here).

The alerts carry `severity: info`, which no shipped trigger policy matches:
the figures are ingestion (parse, deduplicate, group, commit, the
alerts_received receivers deciding there is nothing to open), not incident
creation. Everything it starts is stopped and every database it creates is
dropped, also on Ctrl-C. It prints figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from _common import BENCH_DIR, RESULTS_DIR, percentile
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

TARGET_SINGLES_PER_S = 1000.0
TARGET_BATCH_ALERTS_PER_S = 20_000.0
TARGET_CEILING_SHARE = 0.5
BATCH_SIZE = 100
GROUPS = 50
TIME_LIMIT = 60.0  # seconds per measurement, whatever the request counts say
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


# --- load ----------------------------------------------------------------------------


@dataclass
class Load:
    """Results of one measurement: requests that got a 2xx and their times."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def summary(self, unit: int = 1) -> dict[str, Any]:
        return {
            "requests": len(self.latencies),
            "per_second": round(self.per_second, 1),
            "items_per_second": round(self.per_second * unit, 1),
            "seconds": round(self.seconds, 2),
            "p50_ms": round(percentile(self.latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(self.latencies, 99) * 1000, 2),
            "errors": self.errors,
        }


Request = tuple[str, bytes, dict[str, str]]


def hammer(port: int, requests: Sequence[Request], clients: int) -> Load:
    """POST `requests` from `clients` threads, each on one kept-alive
    connection (http.client: far less client CPU per request than httpx; the
    client shares the machine with the server and the database)."""
    load = Load()
    lock = threading.Lock()
    todo = iter(requests)
    deadline = time.monotonic() + TIME_LIMIT

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        try:
            while time.monotonic() < deadline:
                with lock:
                    item = next(todo, None)
                if item is None:
                    return
                path, body, headers = item
                started = time.perf_counter()
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status = str(response.status)
                except (OSError, http.client.HTTPException) as error:
                    conn.close()
                    status = type(error).__name__
                elapsed = time.perf_counter() - started
                with lock:
                    if status.startswith("2"):
                        load.latencies.append(elapsed)
                    else:
                        load.errors[status] = load.errors.get(status, 0) + 1
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIME_LIMIT + 60)
    load.seconds = time.perf_counter() - started
    return load


def _alert(run: str, number: int, group: int, now: str) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {
            "alertname": f"BenchAlert{group}",
            "service": f"service-{group}",
            "severity": "info",
            "instance": f"host-{number}:9100",
            "job": "node",
        },
        "annotations": {"summary": f"Bench alert {number}", "description": "Load test."},
        "startsAt": now,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": f"http://prometheus.bench:9090/graph?g0.expr=up%7Binstance%3D%22host-{number}%22%7D",
        "fingerprint": f"{run}-{number:08x}",
    }


def notification(alerts: list[dict[str, Any]], group: int) -> bytes:
    return json.dumps(
        {
            "receiver": "hotwash",
            "status": "firing",
            "alerts": alerts,
            "groupLabels": {"alertname": f"BenchAlert{group}"},
            "commonLabels": {"alertname": f"BenchAlert{group}", "severity": "info"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.bench:9093",
            "version": "4",
            "groupKey": f'{{}}:{{alertname="BenchAlert{group}"}}',
            "truncatedAlerts": 0,
        }
    ).encode()


def webhook_requests(token: str, run: str, count: int, size: int) -> list[Request]:
    """`count` Alertmanager notifications of `size` new alerts each."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    numbers = itertools.count()
    requests = []
    for index in range(count):
        group = index % GROUPS
        alerts = [_alert(run, next(numbers), group, now) for _ in range(size)]
        requests.append(("/api/v1/alerts/alertmanager", notification(alerts, group), headers))
    return requests


def ceiling_requests(run: str, count: int) -> list[Request]:
    headers = {"Content-Type": "application/json"}
    return [(f"/bench/ceiling/{run}-{n:08x}", b"{}", headers) for n in range(count)]


# --- one database ------------------------------------------------------------------------


def measure(
    label: str, port: int, requests: list[Request], clients: int, warmup: int, unit: int = 1
) -> dict[str, Any]:
    print(f"  {label}…", flush=True)
    hammer(port, requests[:warmup], min(clients, 4))
    result = hammer(port, requests[warmup:], clients).summary(unit)
    if result["errors"]:
        print(f"    errors: {result['errors']}", flush=True)
    return result


def bench_one(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n== {DATABASE_NAMES[kind]} ==", flush=True)
    run: dict[str, Any] = {"database": kind}
    with throwaway_database(kind, args.pg_url) as database:
        token = database.hotwash("createtoken", "--source", "bench", "--kind", "alertmanager")
        token = token.strip()
        with serve(database, args, "hotwash") as port:
            run["load_average_at_start"] = round(os.getloadavg()[0], 2)
            singles = webhook_requests(token, "s", args.singles + args.warmup, 1)
            run["singles"] = measure(
                "single-alert webhooks", port, singles, args.clients, args.warmup
            )
            batches = webhook_requests(token, "b", args.batches + 10, BATCH_SIZE)
            run["batches"] = measure(
                f"batches of {BATCH_SIZE}", port, batches, args.clients, 10, BATCH_SIZE
            )
        # The same stack with one extra URL, which the bench's settings add.
        with serve(database, args, "ceiling", settings="alerts_ceiling_settings") as port:
            requests = ceiling_requests("c", args.singles + args.warmup)
            run["ceiling"] = measure("storage ceiling", port, requests, args.clients, args.warmup)
    return run


@contextlib.contextmanager
def serve(
    database: Database, args: argparse.Namespace, name: str, settings: str = ""
) -> Iterator[int]:
    """`hotwash serve` on a free loopback port, as configured; its port."""
    port = free_port()
    env = {**database.env, "HOTWASH_THREADS": str(args.server_threads)}
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = settings
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH_DIR), env.get("PYTHONPATH")]))
    command = [*HOTWASH, "serve", "--host", HOST, "--port", str(port), "--no-collectstatic"]
    command += ["--workers", str(args.workers), "--threads", str(args.server_threads)]
    log_path = RESULTS_DIR / f"server-alerts-{database.kind}-{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = start(command, env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(f"http://{HOST}:{port}", process, log_path)
            yield port
        finally:
            stop(process)
    tracebacks = log_path.read_text(errors="replace").count("Traceback")
    if tracebacks:
        print(f"  The server logged {tracebacks} tracebacks: see {log_path}.", flush=True)


# --- report ------------------------------------------------------------------------------


def _ok(passed: bool) -> str:
    return "ok" if passed else "MISSED"


def report(runs: list[dict[str, Any]]) -> str:
    rows = [["figure", *(DATABASE_NAMES[r["database"]] for r in runs), "target"]]
    rows.append(
        [
            "single-alert webhooks per s",
            *(
                f"{r['singles']['per_second']:,.0f} "
                f"({_ok(r['singles']['per_second'] >= TARGET_SINGLES_PER_S)})"
                for r in runs
            ),
            f">= {TARGET_SINGLES_PER_S:,.0f}",
        ]
    )
    rows.append(
        [
            "single-alert p50 / p99 latency",
            *(f"{r['singles']['p50_ms']:.1f} / {r['singles']['p99_ms']:.1f} ms" for r in runs),
            "",
        ]
    )
    rows.append(
        [
            f"alerts per s in batches of {BATCH_SIZE}",
            *(
                f"{r['batches']['items_per_second']:,.0f} "
                f"({_ok(r['batches']['items_per_second'] >= TARGET_BATCH_ALERTS_PER_S)})"
                for r in runs
            ),
            f">= {TARGET_BATCH_ALERTS_PER_S:,.0f}",
        ]
    )
    rows.append(
        [
            "storage ceiling (bare upsert) per s",
            *(f"{r['ceiling']['per_second']:,.0f}" for r in runs),
            "",
        ]
    )
    rows.append(
        [
            "storage ceiling p50 / p99 latency",
            *(f"{r['ceiling']['p50_ms']:.1f} / {r['ceiling']['p99_ms']:.1f} ms" for r in runs),
            "",
        ]
    )
    rows.append(
        [
            "single-alert ingest / ceiling",
            *(
                f"{share:.0%} ({_ok(share >= TARGET_CEILING_SHARE)})"
                for share in (
                    r["singles"]["per_second"] / r["ceiling"]["per_second"]
                    if r["ceiling"]["per_second"]
                    else 0.0
                    for r in runs
                )
            ),
            f">= {TARGET_CEILING_SHARE:.0%}",
        ]
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


# --- command line ------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="sqlite, postgresql or both."
    )
    parser.add_argument("--singles", type=int, default=5000, help="Single-alert webhooks (5000).")
    parser.add_argument("--batches", type=int, default=300, help=f"Batches of {BATCH_SIZE} (300).")
    parser.add_argument("--warmup", type=int, default=200, help="Requests before measuring (200).")
    parser.add_argument("--clients", type=int, default=8, help="Client threads (8).")
    parser.add_argument("--workers", type=int, default=1, help="Server processes (1).")
    parser.add_argument(
        "--server-threads", type=int, default=32, help="Threads per server process (32)."
    )
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL admin URL.")
    parser.add_argument("--no-json", action="store_true", help="Do not write bench/results/.")
    args = parser.parse_args(argv)
    aliases = {"postgres": "postgresql", "pg": "postgresql", "sqlite3": "sqlite"}
    args.databases = [
        aliases.get(name.strip().lower(), name.strip().lower())
        for name in args.databases.split(",")
        if name.strip()
    ]
    unknown = set(args.databases) - set(DATABASE_NAMES)
    if unknown or not args.databases:
        parser.error(f"--databases: use sqlite and/or postgresql, not {', '.join(unknown)}.")
    return args


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
    runs: list[dict[str, Any]] = []
    try:
        for kind in args.databases:
            runs.append(bench_one(kind, args))
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
        f"\nHotwash alerts bench, {started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs; "
        f"{args.clients} client threads; server: {args.workers} process(es) x "
        f"{args.server_threads} threads; {args.singles} single-alert webhooks, "
        f"{args.batches} batches of {BATCH_SIZE}."
    )
    print(report(runs))
    if not args.no_json:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"alerts-{started_at:%Y%m%d-%H%M%S}.json"
        path.write_text(
            json.dumps(
                {
                    "started_at": started_at.isoformat(),
                    "machine": machine(),
                    "config": {k: v for k, v in vars(args).items() if k != "pg_url"},
                    "targets": {
                        "singles_per_second_min": TARGET_SINGLES_PER_S,
                        "batch_alerts_per_second_min": TARGET_BATCH_ALERTS_PER_S,
                        "ceiling_share_min": TARGET_CEILING_SHARE,
                    },
                    "runs": runs,
                },
                indent=2,
            )
        )
        print(f"\nResults written to {path}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

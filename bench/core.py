"""Measure Hotwash's core figures against the targets of the core-platform issue.

    python bench/core.py                      # 1,000 and 100,000 incidents, SQLite and PostgreSQL
    python bench/core.py --quick              # 1,000 and 10,000, fewer samples: a fast look
    python bench/core.py --scales 1k,50k --databases postgresql

For each database and scale it creates a throwaway database (a temporary
SQLite file, or a PostgreSQL database on 127.0.0.1:5432 dropped afterwards),
migrates it, fills it with bench/generate.py, starts the real server
(`hotwash serve --workers 1`) and measures, over loopback only:

- p50/p95 latency of the incident list page, an incident's page and the
  catch-up API call, one request at a time (pure latency, no queueing);
- timeline appends per second through the API, from several client threads;
- how long a timeline entry takes to reach 100 live-update subscribers (SSE).

It prints a table with the issue's targets beside each figure and writes the
results as JSON to bench/results/. Everything it starts is stopped, and every
database it creates is dropped, also on Ctrl-C. It prints figures; nothing
here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from _common import BENCH_DIR, REPO_DIR, RESULTS_DIR, parse_int_list, percentile

HOTWASH = [sys.executable, "-m", "hotwash"]
GENERATE = [sys.executable, str(BENCH_DIR / "generate.py")]
HOST = "127.0.0.1"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-password-42"
# A responder bench/generate.py creates (password GENERATED_PASSWORD there):
# lists as a responder pay for the private-incident filter; admins do not.
RESPONDER_USER = "amira.martin"
RESPONDER_PASSWORD = "hotwash-bench-42"

# The targets.
TARGET_RATIO = 1.5
TARGET_APPENDS_PER_S = 500.0
TARGET_LIVE_P99_MS = 250.0

SERVER_START_TIMEOUT = 60.0
PAGE_TIME_LIMIT = 120.0  # seconds per page kind and scale, whatever --samples says
APPEND_TIME_LIMIT = 60.0
LIVE_ROUND_TIMEOUT = 5.0


class BenchError(Exception):
    """Something the bench cannot measure around (a page answering 500, a
    server that does not start); the message says what."""


# --- processes -----------------------------------------------------------------

_children: set[subprocess.Popen[bytes]] = set()


def start(args: Sequence[str], env: dict[str, str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start a child in its own session, so Ctrl-C reaches only this script,
    which then stops the child itself (and everything the child started)."""
    process = subprocess.Popen(list(args), env=env, start_new_session=True, **kwargs)
    _children.add(process)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
    _children.discard(process)


def run(args: Sequence[str], env: dict[str, str], *, timeout: float, quiet: bool = True) -> str:
    """Run a child to completion and return its stdout (its stderr too, when
    it fails). With quiet=False its output goes to the terminal."""
    pipe = subprocess.PIPE if quiet else None
    process = start(args, env, stdout=pipe, stderr=subprocess.STDOUT if quiet else None)
    try:
        out, _err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{' '.join(args[:4])} took more than {timeout:.0f} s.") from None
    finally:
        stop(process)
    text = (out or b"").decode(errors="replace")
    if process.returncode != 0:
        raise BenchError(f"{' '.join(args)} failed ({process.returncode}):\n{text}")
    return text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --- databases and the server ------------------------------------------------------


@dataclass
class Database:
    kind: str  # "sqlite" or "postgresql"
    url: str
    data_dir: Path
    server_env: dict[str, str] = field(default_factory=dict)  # for the server only

    @property
    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "HOTWASH_DATA_DIR": str(self.data_dir),
            # Production settings for what matters to speed: debug mode keeps
            # every SQL statement and renders rich error pages.
            "HOTWASH_DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("HOTWASH_TEST_DATABASE_NAME", None)
        return env

    def hotwash(self, *args: str, timeout: float = 300) -> str:
        return run([*HOTWASH, *args], self.env, timeout=timeout)


@contextlib.contextmanager
def throwaway_database(kind: str, pg_admin_url: str) -> Iterator[Database]:
    """A fresh, migrated database of `kind`, deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="hotwash-bench-") as tmp:
        data_dir = Path(tmp)
        if kind == "sqlite":
            database = Database(kind, f"sqlite:///{data_dir / 'hotwash.sqlite3'}", data_dir)
            database.hotwash("migrate", "--no-input", "-v0")
            yield database
            return
        name = f"hotwash_bench_{uuid.uuid4().hex[:12]}"
        base = pg_admin_url.rsplit("/", 1)[0]
        _psql(pg_admin_url, f'CREATE DATABASE "{name}"')
        try:
            database = Database(kind, f"{base}/{name}", data_dir)
            database.hotwash("migrate", "--no-input", "-v0")
            yield database
        finally:
            _psql(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _psql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.encode())


@contextlib.contextmanager
def running_server(database: Database, log_path: Path) -> Iterator[str]:
    """`hotwash serve --workers 1` on a free loopback port; its base URL.
    The server's output goes to `log_path`, kept for reading afterwards."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = start(
            [*HOTWASH, "serve", "--host", HOST, "--port", str(port), "--workers", "1"],
            {**database.env, **database.server_env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://{HOST}:{port}"
        try:
            _wait_until_up(url, process, log_path)
            yield url
        finally:
            stop(process)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"hotwash serve exited early:\n{log_path.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/api/v1/openapi.json", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise BenchError(f"hotwash serve did not answer within {SERVER_START_TIMEOUT:.0f} s.")


def prepare(database: Database, incidents: int, events: float) -> tuple[float, str]:
    """Fill the database and create the bench admin; return the seconds
    generation took and the admin's API token."""
    started = time.perf_counter()
    # A progress bar is for a person watching; in a log it is noise.
    quiet = [] if sys.stderr.isatty() else ["--quiet"]
    run(
        [*GENERATE, "--incidents", str(incidents), "--events", str(events), *quiet],
        database.env,
        timeout=3600,
        quiet=False,
    )
    generated = time.perf_counter() - started
    database.hotwash(
        "shell",
        "-c",
        "from hotwash.accounts.services import create_user;"
        f"create_user({BENCH_USER!r}, password={BENCH_PASSWORD!r}, role='admin')",
    )
    token = database.hotwash("createtoken", BENCH_USER).strip()
    return generated, token


# --- measurements -----------------------------------------------------------------


@dataclass
class Latencies:
    """Durations of one kind of request, in seconds."""

    values: list[float] = field(default_factory=list)
    errors: int = 0

    def summary(self, *percentiles: float) -> dict[str, Any]:
        result: dict[str, Any] = {
            f"p{pct:g}_ms": round(percentile(self.values, pct) * 1000, 2) for pct in percentiles
        }
        result["samples"] = len(self.values)
        result["errors"] = self.errors
        return result


def login(url: str, username: str, password: str) -> httpx.Client:
    """A client signed in through the Django login form, as a browser is."""
    client = httpx.Client(base_url=url, timeout=30)
    page = client.get("/en/accounts/login/")
    csrf = client.cookies.get("csrftoken")
    if page.status_code != 200 or not csrf:
        raise BenchError(f"The login page answered {page.status_code} without a CSRF cookie.")
    answer = client.post(
        "/en/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{url}/en/accounts/login/"},
    )
    if answer.status_code != 302 or not client.cookies.get("sessionid"):
        raise BenchError(f"Signing in as {username} failed ({answer.status_code}).")
    return client


def time_requests(
    client: httpx.Client, paths: Callable[[], str], samples: int, warmup: int
) -> Latencies:
    """Latency of GET requests one after another: each is measured alone,
    so the figure is the server's own cost, not queueing."""
    result = Latencies()
    deadline = time.monotonic() + PAGE_TIME_LIMIT
    for number in range(warmup + samples):
        if time.monotonic() > deadline:
            break
        path = paths()
        started = time.perf_counter()
        try:
            response = client.get(path)
        except httpx.TransportError:
            result.errors += 1
            continue
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            if number < warmup:
                raise BenchError(
                    f"GET {path} answered {response.status_code}:\n{response.text[:500]}"
                )
            result.errors += 1
            continue
        if number >= warmup:
            result.values.append(elapsed)
    return result


def measure_pages(
    url: str, token: str, incidents: int, samples: int, seed: int
) -> dict[str, dict[str, Any]]:
    rng = random.Random(seed)
    warmup = max(5, samples // 10)

    def any_incident() -> int:
        return rng.randint(1, incidents)

    words = ["latency", "exports", "login", "payment", "disk"]
    pages: dict[str, Callable[[], str]] = {
        "list": lambda: "/en/incidents/",
        "incident": lambda: f"/en/incidents/INC-{any_incident()}/",
    }
    extra: dict[str, Callable[[], str]] = {
        "list_search": lambda: f"/en/incidents/?q={rng.choice(words)}",
        "list_page_10": lambda: "/en/incidents/?page=10",
    }
    results: dict[str, dict[str, Any]] = {}
    with contextlib.closing(login(url, BENCH_USER, BENCH_PASSWORD)) as browser:
        for name, path in {**pages, **extra}.items():
            results[name] = time_requests(browser, path, samples, warmup).summary(50, 95)
    with contextlib.closing(login(url, RESPONDER_USER, RESPONDER_PASSWORD)) as browser:
        results["list_responder"] = time_requests(browser, pages["list"], samples, warmup).summary(
            50, 95
        )
    with httpx.Client(
        base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as api:
        results["catchup"] = time_requests(
            api, lambda: f"/api/v1/incidents/INC-{any_incident()}/catchup", samples, warmup
        ).summary(50, 95)
    return results


def post_note(conn: http.client.HTTPConnection, token: str, ref: str, body: str) -> int:
    """POST a timeline note over a kept-alive connection; return the status."""
    conn.request(
        "POST",
        f"/api/v1/incidents/{ref}/timeline",
        body=json.dumps({"body": body, "kind": "note"}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    response.read()
    return response.status


def measure_appends(
    url: str, token: str, incidents: int, requests: int, clients: int, seed: int
) -> dict[str, Any]:
    """Timeline appends per second from `clients` threads sharing `requests`
    POSTs, each thread on one kept-alive connection (http.client: far less
    client CPU per request than httpx, and the client shares the machine)."""
    port = int(url.rsplit(":", 1)[1])
    # Notes go to recent incidents, where people write.
    refs = [f"INC-{n}" for n in range(max(1, incidents - 199), incidents + 1)]
    remaining = iter(range(requests))
    lock = threading.Lock()
    latencies = Latencies()
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + APPEND_TIME_LIMIT

    def client(number: int) -> None:
        rng = random.Random(seed + number)
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            while time.monotonic() < deadline:
                with lock:
                    index = next(remaining, None)
                if index is None:
                    return
                started = time.perf_counter()
                try:
                    status = post_note(conn, token, rng.choice(refs), f"Bench note {index}.")
                except (OSError, http.client.HTTPException):
                    conn.close()
                    status = 0
                elapsed = time.perf_counter() - started
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 201:
                        latencies.values.append(elapsed)
                    else:
                        latencies.errors += 1
        finally:
            conn.close()

    # Warm up: the first requests load code and fill caches.
    warm = http.client.HTTPConnection(HOST, port, timeout=30)
    for index in range(20):
        status = post_note(warm, token, refs[index % len(refs)], "Warm-up note.")
        if status != 201:
            raise BenchError(f"POST /api/v1/incidents/…/timeline answered {status}.")
    warm.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(APPEND_TIME_LIMIT + 30)
    elapsed = time.perf_counter() - started
    return {
        "per_second": round(len(latencies.values) / elapsed, 1),
        "seconds": round(elapsed, 2),
        "clients": clients,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        **latencies.summary(50, 95, 99),
    }


class EventStream:
    """A minimal server-sent-events reader on a raw loopback connection: one
    event loop reads all subscribers, and each event is timestamped as soon
    as its bytes arrive, with no client library in between."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.chunked = False
        self.buffer = ""

    @classmethod
    async def open(cls, port: int, path: str, token: str) -> EventStream:
        reader, writer = await asyncio.open_connection(HOST, port)
        stream = cls(reader, writer)
        writer.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        status_line = (await reader.readline()).decode("latin-1")
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _colon, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if " 200 " not in status_line:
            raise BenchError(f"GET {path} answered {status_line.strip()}.")
        stream.chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        return stream

    async def _read(self) -> str:
        if not self.chunked:
            data = await self.reader.read(65536)
        else:
            size = int((await self.reader.readline()).split(b";")[0].strip() or b"0", 16)
            data = await self.reader.readexactly(size + 2) if size else b""
            data = data[:-2]
        if not data:
            raise EOFError("the stream ended")
        return data.decode()

    async def next_event(self) -> tuple[str, float]:
        """The next event's name and when its last byte arrived."""
        while True:
            arrived = time.perf_counter()
            while "\n\n" not in self.buffer:
                self.buffer += await self._read()
                arrived = time.perf_counter()
            block, _sep, self.buffer = self.buffer.partition("\n\n")
            for line in block.splitlines():
                if line.startswith("event:"):
                    return line[6:].strip(), arrived
            # A comment (keep-alive) or an unnamed event: not ours.

    async def wait_for(self, name: str) -> float:
        while True:
            event, arrived = await self.next_event()
            if event == name:
                return arrived

    def close(self) -> None:
        self.writer.close()


async def _live_rounds(
    port: int, token: str, incident: int, subscribers: int, rounds: int
) -> dict[str, Any]:
    path = f"/live/incidents/{incident}/events"
    opening = asyncio.Semaphore(20)

    async def subscribe() -> EventStream:
        async with opening:
            stream = await EventStream.open(port, path, token)
            await asyncio.wait_for(stream.wait_for("ready"), 10)
            return stream

    streams = await asyncio.gather(*(subscribe() for _ in range(subscribers)))
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies = Latencies()
    post_latencies = Latencies()
    try:
        for number in range(rounds):
            await asyncio.sleep(0.2)  # let the previous round settle
            sent = time.perf_counter()
            post = asyncio.create_task(
                asyncio.to_thread(post_note, conn, token, f"INC-{incident}", f"Live {number}.")
            )
            arrivals = await asyncio.gather(
                *(asyncio.wait_for(s.wait_for("timeline"), LIVE_ROUND_TIMEOUT) for s in streams),
                return_exceptions=True,
            )
            status = await post
            post_latencies.values.append(time.perf_counter() - sent)
            if status != 201:
                raise BenchError(f"POST for live round {number} answered {status}.")
            for arrival in arrivals:
                if isinstance(arrival, float):
                    latencies.values.append(arrival - sent)
                else:
                    latencies.errors += 1
    finally:
        conn.close()
        for stream in streams:
            stream.close()
    return {
        "subscribers": subscribers,
        "rounds": rounds,
        "lost": latencies.errors,
        **latencies.summary(50, 99),
        "post_p50_ms": round(percentile(post_latencies.values, 50) * 1000, 2),
    }


def measure_live(
    url: str, token: str, incident: int, subscribers: int, rounds: int
) -> dict[str, Any]:
    """Delivery latency of a timeline entry to `subscribers` open streams:
    from sending the POST to each stream receiving its event, so it includes
    the write itself, the commit and the fan-out."""
    port = int(url.rsplit(":", 1)[1])
    return asyncio.run(_live_rounds(port, token, incident, subscribers, rounds))


# --- one run --------------------------------------------------------------------


MEASUREMENTS = ("pages", "live", "appends")


def bench_one(kind: str, incidents: int, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n== {kind}, {incidents:,} incidents ==", flush=True)
    run: dict[str, Any] = {
        "database": kind,
        "incidents": incidents,
        "events_per_incident": args.events,
    }
    with throwaway_database(kind, args.pg_url) as database:
        database.server_env = dict(args.server_env)
        # The live measurement subscribes every stream with one token: lift
        # the per-person cap (issue 9) to the number of subscribers.
        database.server_env.setdefault(
            "HOTWASH_LIVE_STREAMS_PER_PERSON", str(max(args.subscribers, 1))
        )
        generated, token = prepare(database, incidents, args.events)
        run["generate_seconds"] = round(generated, 1)
        log_path = RESULTS_DIR / f"server-{kind}-{incidents}.log"
        with running_server(database, log_path) as url:
            # Other work on the machine skews every figure; keep a trace of it.
            run["load_average_at_start"] = round(os.getloadavg()[0], 2)
            # Appends last: they add rows the other measurements would read.
            if "pages" in args.only:
                print("Measuring pages…", flush=True)
                run["pages"] = measure_pages(url, token, incidents, args.samples, args.seed)
            if "live" in args.only:
                print("Measuring live delivery…", flush=True)
                run["live"] = measure_live(url, token, incidents, args.subscribers, args.rounds)
            if "appends" in args.only:
                print("Measuring timeline appends…", flush=True)
                run["appends"] = measure_appends(
                    url, token, incidents, args.appends, args.clients, args.seed
                )
    errors = log_path.read_text(errors="replace").count("Traceback")
    run["server_tracebacks"] = errors
    run["server_log"] = str(log_path.relative_to(REPO_DIR))
    if errors:
        print(f"The server logged {errors} tracebacks: see {log_path}.", flush=True)
    return run


# --- report ---------------------------------------------------------------------

PAGE_ROWS = [
    ("list", "incident list page", True),
    ("incident", "incident page", True),
    ("catchup", "catch-up API call", True),
    ("list_responder", "list page, as a responder", False),
    ("list_search", "list page, text search", False),
    ("list_page_10", "list page 10", False),
]
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _ok(passed: bool) -> str:
    return "ok" if passed else "MISSED"


def report(runs: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The table to print, and the verdicts per target."""
    lines: list[str] = []
    verdicts: dict[str, Any] = {}
    for kind in dict.fromkeys(run["database"] for run in runs):
        mine = sorted((r for r in runs if r["database"] == kind), key=lambda r: r["incidents"])
        scales = [r["incidents"] for r in mine]
        header = ["", *(f"{n:,} incidents" for n in scales)]
        if len(mine) > 1:
            header.append(f"ratio {scales[-1]:,}/{scales[0]:,}")
        header += ["target", "result"]
        rows: list[list[str]] = [header]
        for key, label, targeted in PAGE_ROWS if all("pages" in r for r in mine) else []:
            figures = [r["pages"][key] for r in mine]
            row = [f"{label} p50 / p95 (ms)"]
            row += [
                f"{f['p50_ms']:.1f} / {f['p95_ms']:.1f}"
                + (f" ({f['errors']} failed)" if f["errors"] else "")
                for f in figures
            ]
            target, result = "(info)", ""
            if len(mine) > 1:
                ratio = figures[-1]["p95_ms"] / figures[0]["p95_ms"]
                row.append(f"{ratio:.2f}x")
                if targeted:
                    passed = ratio <= TARGET_RATIO and not any(f["errors"] for f in figures)
                    verdicts[f"{kind}.{key}_p95_ratio"] = {"ratio": round(ratio, 3), "ok": passed}
                    target, result = f"p95 ratio ≤ {TARGET_RATIO}x", _ok(passed)
            elif targeted:
                target = f"p95 ratio ≤ {TARGET_RATIO}x"
            rows.append([*row, target, result])
        if all("appends" in r for r in mine):
            rows.append(_appends_row(kind, mine, verdicts))
        if all("live" in r for r in mine):
            rows.append(_live_row(kind, mine, verdicts))
        lines.append(f"\n{DATABASE_NAMES.get(kind, kind)}")
        lines.extend(_table(rows))
        gen = ", ".join(f"{r['incidents']:,}: {r['generate_seconds']:.0f} s" for r in mine)
        lines.append(f"(data generation took {gen})")
    return "\n".join(lines), verdicts


def _appends_row(kind: str, mine: list[dict[str, Any]], verdicts: dict[str, Any]) -> list[str]:
    appends = [r["appends"] for r in mine]
    passed = all(a["per_second"] >= TARGET_APPENDS_PER_S and not a["errors"] for a in appends)
    verdicts[f"{kind}.appends_per_second"] = {
        "values": [a["per_second"] for a in appends],
        "ok": passed,
    }
    return [
        "timeline appends/s (1 process)",
        *(
            f"{a['per_second']:.0f}" + (f" ({a['errors']} failed)" if a["errors"] else "")
            for a in appends
        ),
        *([""] if len(mine) > 1 else []),
        f"≥ {TARGET_APPENDS_PER_S:.0f}/s",
        _ok(passed),
    ]


def _live_row(kind: str, mine: list[dict[str, Any]], verdicts: dict[str, Any]) -> list[str]:
    live = [r["live"] for r in mine]
    passed = all(v["p99_ms"] <= TARGET_LIVE_P99_MS and not v["lost"] for v in live)
    verdicts[f"{kind}.live_p99"] = {"values": [v["p99_ms"] for v in live], "ok": passed}
    return [
        f"live delivery to {live[0]['subscribers']} p50 / p99 (ms)",
        *(
            f"{v['p50_ms']:.1f} / {v['p99_ms']:.1f}" + (f" ({v['lost']} lost)" if v["lost"] else "")
            for v in live
        ),
        *([""] if len(mine) > 1 else []),
        f"p99 ≤ {TARGET_LIVE_P99_MS:.0f} ms",
        _ok(passed),
    ]


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for number, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        out.append("  ".join(cells).rstrip())
        if number == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def machine() -> dict[str, Any]:
    commit = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit,
    }


# --- command line -------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default=None, help="Incident counts (default 1000,100000).")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="sqlite, postgresql or both."
    )
    parser.add_argument(
        "--quick", action="store_true", help="1,000 and 10,000 incidents, fewer samples."
    )
    parser.add_argument("--events", type=float, default=20, help="Timeline entries per incident.")
    parser.add_argument("--samples", type=int, default=None, help="Requests per page (200).")
    parser.add_argument("--appends", type=int, default=None, help="Timeline POSTs (3000).")
    parser.add_argument("--clients", type=int, default=8, help="Client threads for appends.")
    parser.add_argument("--subscribers", type=int, default=100, help="Live streams.")
    parser.add_argument("--rounds", type=int, default=None, help="Live rounds (20).")
    parser.add_argument("--seed", type=int, default=7, help="Random seed for request choices.")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL admin URL.")
    parser.add_argument("--no-json", action="store_true", help="Do not write bench/results/.")
    parser.add_argument(
        "--only",
        default=",".join(MEASUREMENTS),
        help="Measurements to make: pages, live, appends (default: all).",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="An environment variable for the server only, to compare settings "
        "(e.g. HOTWASH_THREADS=64); repeatable.",
    )
    args = parser.parse_args(argv)
    pairs = [item.partition("=") for item in args.server_env]
    if any(not name or not sep for name, sep, _value in pairs):
        parser.error("--server-env takes NAME=VALUE.")
    args.server_env = [(name, value) for name, _sep, value in pairs]
    args.scales = parse_int_list(args.scales or ("1000,10000" if args.quick else "1000,100000"))
    args.samples = args.samples or (100 if args.quick else 200)
    args.appends = args.appends or (1000 if args.quick else 3000)
    args.rounds = args.rounds or (10 if args.quick else 20)
    args.databases = [d.strip().lower() for d in args.databases.split(",") if d.strip()]
    aliases = {"postgres": "postgresql", "pg": "postgresql", "sqlite3": "sqlite"}
    args.databases = [aliases.get(d, d) for d in args.databases]
    unknown = set(args.databases) - {"sqlite", "postgresql"}
    if unknown or not args.databases:
        parser.error(f"--databases: use sqlite and/or postgresql, not {', '.join(unknown)}.")
    args.only = [m.strip() for m in args.only.split(",") if m.strip()]
    if not args.only or set(args.only) - set(MEASUREMENTS):
        parser.error(f"--only: choose among {', '.join(MEASUREMENTS)}.")
    if not args.scales or min(args.scales) < 1:
        parser.error("--scales needs incident counts of at least 1.")
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
    # A `kill` cleans up like Ctrl-C does: servers stopped, databases dropped.
    # SIGINT too, explicitly: a shell starting a background job ignores it.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    started_at = datetime.now(UTC)
    runs: list[dict[str, Any]] = []
    try:
        for kind in args.databases:
            for incidents in sorted(args.scales):
                runs.append(bench_one(kind, incidents, args))
    except KeyboardInterrupt:
        print("\nInterrupted; everything started was stopped.", file=sys.stderr)
        return 130
    except BenchError as error:
        print(f"\nThe bench could not finish: {error}", file=sys.stderr)
        return 1
    finally:
        for process in list(_children):
            stop(process)
    table, verdicts = report(runs)
    print(
        f"\nHotwash core bench, {started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs; "
        f"{args.events:g} timeline entries per incident; {args.samples} requests per page; "
        f"{args.appends} appends from {args.clients} threads; "
        f"{args.subscribers} subscribers x {args.rounds} rounds."
    )
    print(table)
    if not args.no_json:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"core-{started_at:%Y%m%d-%H%M%S}.json"
        config = {k: v for k, v in vars(args).items() if k not in ("pg_url",) and not callable(v)}
        path.write_text(
            json.dumps(
                {
                    "started_at": started_at.isoformat(),
                    "machine": machine(),
                    "config": config,
                    "targets": {
                        "p95_ratio_max": TARGET_RATIO,
                        "appends_per_second_min": TARGET_APPENDS_PER_S,
                        "live_p99_ms_max": TARGET_LIVE_P99_MS,
                    },
                    "runs": runs,
                    "verdicts": verdicts,
                },
                indent=2,
            )
        )
        print(f"\nResults written to {path.relative_to(REPO_DIR)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Measure how fast Hotwash acknowledges Slack (issue 13's target: p99 under
300 ms under 20 concurrent requests; Slack gives up after 3 s).

    python bench/chat.py                                  # SQLite and PostgreSQL
    python bench/chat.py --databases sqlite --requests 400

For each database: a throwaway database (bench/core.py), filled in a child
process with a responder whose Slack identity is known and an incident with
its own Slack channel. This process runs the Slack Web API stand-in the
tests use (tests/integrations/slack/standin.py) and the real server
(`hotwash serve`, bench/core.py's running_server). From 20 threads (one
kept-alive connection each) it then sends, signed as Slack signs them:

- `/incident declare <title>` slash commands (each is queued, in one
  transaction, for the worker, which declares the incident, asks for its
  channel and answers through the response_url);
- Events API `reaction_added` callbacks with the timeline reaction, each a
  new event id (each is recorded and queued in one transaction).

What is measured is the acknowledgement Slack waits for, not the channel
creation or the message reading that follow in the worker. On SQLite,
`hotwash serve` runs its embedded worker beside it, as `make run` does, so
the event callbacks are answered while that worker declares the incidents
the commands queued, both writing to the one database: the contention a
busy SQLite instance meets. On PostgreSQL no worker runs.
It prints figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from _common import REPO_DIR, RESULTS_DIR, percentile

TARGET_P99_MS = 300.0
CONCURRENCY = 20
CHANNEL = "C0BENCH001"
USER = "U0BENCHAMIRA"


# --- the child: fill the database -----------------------------------------------------


def fill() -> None:
    from _common import setup_django

    setup_django()
    from hotwash.accounts.models import Role
    from hotwash.accounts.services import create_user
    from hotwash.chat.models import LinkedBy
    from hotwash.chat.services import link_identity, record_opened, request_conversation
    from hotwash.incidents.services import declare_incident

    amira = create_user(
        "amira", password="bench-password-42", role=Role.RESPONDER, email="amira@example.org"
    )
    link_identity("slack", USER, amira, linked_by=LinkedBy.EMAIL)
    incident = declare_incident(actor=amira, title="Checkout fails", severity=2)
    conversation = request_conversation(incident, platform="slack", language="en")
    record_opened(conversation, conversation_id=CHANNEL, name="inc-1-checkout-fails")


# --- the parent --------------------------------------------------------------------------


def _send(
    url: str, path: str, bodies: list[tuple[bytes, str]], sign: Callable[[bytes], dict[str, str]]
) -> tuple[list[float], dict[str, int]]:
    """POST every body from CONCURRENCY threads; each request's seconds."""
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    queue = list(bodies)

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                body, content_type = queue.pop()
            headers = {"Content-Type": content_type, **sign(body)}
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                if status == "200":
                    latencies.append(elapsed)
                else:
                    errors[status] = errors.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def bench_one(kind: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    from core import run, running_server, throwaway_database

    sys.path.insert(0, str(REPO_DIR))
    from tests.integrations.slack.standin import (
        SIGNING_SECRET,
        SlackStandIn,
        command_body,
        event_body,
        reaction,
        signed_headers,
    )

    print(f"{kind}: {args.requests} requests of each kind …", file=sys.stderr, flush=True)
    slack = SlackStandIn().start()
    slack.add_user(USER, "amira", "Amira Martin", email="amira@example.org")
    rows: list[dict[str, Any]] = []
    try:
        with throwaway_database(kind, args.pg_url) as database:
            slack_env = {
                "HOTWASH_SLACK_API_URL": slack.api_url,
                "HOTWASH_SLACK_BOT_TOKEN": slack.token,
                "HOTWASH_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            }
            run([sys.executable, __file__, "--fill"], {**database.env, **slack_env}, timeout=300)
            database.server_env = slack_env
            log = RESULTS_DIR / f"chat-{kind}-server.log"
            with running_server(database, log) as url:
                sign: Callable[[bytes], dict[str, str]] = signed_headers
                form = "application/x-www-form-urlencoded"
                # Warm the server process (imports, connections) first.
                _send(
                    url,
                    "/integrations/slack/commands",
                    [(command_body("help", user_id=USER, channel_id="D0"), form)] * 40,
                    sign,
                )
                declares = [
                    (
                        command_body(
                            f"declare Bench incident {n}", user_id=USER, channel_id="D0BENCH"
                        ),
                        form,
                    )
                    for n in range(args.requests)
                ]
                events = [
                    (
                        event_body(
                            reaction(
                                "reaction_added",
                                user=USER,
                                channel=CHANNEL,
                                ts=f"{1796547600 + n}.000100",
                            ),
                            event_id=f"Ev{uuid.uuid4().hex[:12].upper()}",
                        ),
                        "application/json",
                    )
                    for n in range(args.requests)
                ]
                for name, path, bodies in (
                    ("/incident declare", "/integrations/slack/commands", declares),
                    ("event callback", "/integrations/slack/events", events),
                ):
                    started = time.perf_counter()
                    latencies, errors = _send(url, path, bodies, sign)
                    seconds = time.perf_counter() - started
                    rows.append(
                        {
                            "database": kind,
                            "request": name,
                            "ok": len(latencies),
                            "errors": errors,
                            "p50_ms": percentile(latencies, 50) * 1000,
                            "p99_ms": percentile(latencies, 99) * 1000,
                            "max_ms": max(latencies, default=float("nan")) * 1000,
                            "per_second": len(latencies) / seconds if seconds else 0.0,
                        }
                    )
    finally:
        slack.stop()
    return rows


def report(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"| database | request | ok | errors | p50 | p99 | max | req/s | target p99 < {TARGET_P99_MS:g} ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        passed = r["p99_ms"] < TARGET_P99_MS and not r["errors"]
        errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "0"
        lines.append(
            f"| {r['database']} | {r['request']} | {r['ok']} | {errors} | {r['p50_ms']:.0f} ms "
            f"| {r['p99_ms']:.0f} ms | {r['max_ms']:.0f} ms | {r['per_second']:.0f} "
            f"| {'ok' if passed else 'MISSED'} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    from core import PG_ADMIN_URL

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=400, help="of each kind")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL)
    parser.add_argument("--fill", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.fill:
        fill()
        return 0
    rows: list[dict[str, Any]] = []
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        rows.extend(bench_one(kind, args))
    table = report(rows)
    print(table)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "chat.json").write_text(json.dumps(rows, indent=2))
    return 0 if all(r["p99_ms"] < TARGET_P99_MS and not r["errors"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

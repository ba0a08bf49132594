"""Measure one reminder scan over many action items (issue 4's target:
under 2 s for 100,000 items, on SQLite and PostgreSQL, with a number of
queries that does not grow with the items).

    python bench/reminders.py                         # 1,000 and 100,000 items, both databases
    python bench/reminders.py --scales 1k,10k --databases sqlite

For each database and scale it creates a throwaway database (a temporary
SQLite file, or a PostgreSQL database on 127.0.0.1:5432 dropped afterwards,
as bench/core.py does), migrates it, and in a child process fills it with
`bulk_create`: --users people (mixed time zones and languages, 10 % muting
reminders), one incident per 4 items, the action items with due dates
spread over the last three years and the next three months (past items
mostly done, some left open: a backlog; future ones open), one postmortem
per 40 items, and one active webhook subscription for every event. Then it
times `hotwash.notifications.reminders.scan_reminders`, counting its SQL
statements with CaptureQueriesContext:

- the first scan, which decides every reminder due now and writes the
  ledger rows, the email tasks and the webhook deliveries;
- a steady-state scan right after, which is what every later run (every
  five minutes) costs when nothing new fell due.

It prints figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from _common import parse_int_list

TARGET_SECONDS = 2.0
RESULT_PREFIX = "RESULT "


# --- the child: fill one database and measure ------------------------------------------


def measure(items: int, users: int, seed: int) -> dict[str, Any]:
    from _common import setup_django

    setup_django()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django_tasks_db.models import DBTaskResult

    from hotwash.accounts.models import Profile
    from hotwash.actions.models import ActionItem
    from hotwash.incidents.models import Incident
    from hotwash.notifications.models import (
        NotificationPreference,
        SentNotification,
        WebhookDelivery,
        WebhookSubscription,
    )
    from hotwash.notifications.reminders import scan_reminders
    from hotwash.postmortems.models import Postmortem

    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    started = time.perf_counter()

    zones = ["UTC", "Europe/Paris", "America/Toronto", "America/Vancouver", "Asia/Tokyo"]
    people = User.objects.bulk_create(
        [User(username=f"person{n}", email=f"person{n}@example.org") for n in range(users)]
    )
    Profile.objects.bulk_create(
        [
            Profile(user=u, timezone=rng.choice(zones), language=rng.choice(["en", "fr"]))
            for u in people
        ]
    )
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=u, reminders_muted=True) for u in people[: users // 10]]
    )
    incident_count = max(1, items // 4)
    horizon = 3 * 365
    incidents = Incident.objects.bulk_create(
        [
            Incident(
                title=f"Incident {n}",
                declared_at=now - timedelta(days=horizon * (incident_count - n) / incident_count),
                updated_at=now,
                private=rng.random() < 0.03,
                status="closed",
            )
            for n in range(incident_count)
        ],
        batch_size=2000,
    )
    rows = []
    for n in range(items):
        incident = incidents[n * incident_count // items]
        due = incident.declared_at.date() + timedelta(days=rng.choice([15, 30, 60]))
        due = min(due, today + timedelta(days=90))
        past = due < today
        done = past and rng.random() < 0.9
        rows.append(
            ActionItem(
                incident=incident,
                title=f"Follow-up {n}",
                owner=rng.choice(people),
                due_on=due,
                status="done" if done else rng.choice(["open", "open", "in_progress"]),
                created_at=incident.declared_at,
                updated_at=now,
                done_at=now if done else None,
            )
        )
    ActionItem.objects.bulk_create(rows, batch_size=2000)
    Postmortem.objects.bulk_create(
        [
            Postmortem(
                incident=incident,
                title=f"Postmortem {n}",
                template="standard",
                owner=rng.choice(people),
                due_on=incident.declared_at.date() + timedelta(days=10),
                status="published"
                if incident.declared_at.date() < today - timedelta(days=30)
                else "draft",
                created_at=incident.declared_at,
                updated_at=now,
            )
            for n, incident in enumerate(incidents[::10])
        ],
        batch_size=2000,
    )
    WebhookSubscription.objects.create(name="chat", url="http://127.0.0.1:9/", secret="s")  # type: ignore[misc]  # property; plugin knows fields only
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    generated = time.perf_counter() - started

    # A worker is a long-running process: it imports the URL configuration
    # (for the links) once, not per scan, so the bench does that first too.
    reverse("notifications:preferences")
    statements: list[str] = []

    def timed_scan() -> tuple[float, int, int]:
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            result = scan_reminders(now)
            elapsed = time.perf_counter() - began
        statements[:] = [" ".join(q["sql"].split())[:100] for q in captured.captured_queries]
        return elapsed, len(captured), result.decided

    first_s, first_q, decided = timed_scan()
    first_statements = list(statements)
    steady_s, steady_q, again = timed_scan()
    return {
        "database": connection.vendor,
        "items": ActionItem.objects.count(),
        "open_items": ActionItem.objects.filter(status__in=["open", "in_progress"]).count(),
        "users": users,
        "generated_s": round(generated, 1),
        "first": {"seconds": round(first_s, 3), "queries": first_q, "decided": decided},
        "steady": {"seconds": round(steady_s, 3), "queries": steady_q, "decided": again},
        "ledger_rows": SentNotification.objects.count(),
        "email_tasks": DBTaskResult.objects.filter(
            task_path__endswith="deliver_notification"
        ).count(),
        "webhook_deliveries": WebhookDelivery.objects.count(),
        "first_statements": first_statements,
        "steady_statements": statements,
    }


# --- the parent: throwaway databases, one child each ----------------------------------------


def bench_one(kind: str, items: int, args: argparse.Namespace) -> dict[str, Any]:
    from core import run, throwaway_database

    print(f"{kind}: {items:,} action items …", file=sys.stderr, flush=True)
    with throwaway_database(kind, args.pg_url) as database:
        output = run(
            [
                sys.executable,
                __file__,
                "--measure",
                "--scales",
                str(items),
                "--users",
                str(args.users),
                "--seed",
                str(args.seed),
            ],
            database.env,
            timeout=3600,
        )
    for line in output.splitlines():
        if line.startswith(RESULT_PREFIX):
            return dict(json.loads(line[len(RESULT_PREFIX) :]))
    raise RuntimeError(f"The measuring process printed no result:\n{output}")


def report(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| database | items | first scan | queries | reminders decided | steady scan | queries "
        "| target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        worst = max(r["first"]["seconds"], r["steady"]["seconds"])
        verdict = "ok" if worst < TARGET_SECONDS else "MISSED"
        lines.append(
            f"| {r['database']} | {r['items']:,} | {r['first']['seconds'] * 1000:.0f} ms "
            f"| {r['first']['queries']} | {r['first']['decided']:,} "
            f"| {r['steady']['seconds'] * 1000:.0f} ms | {r['steady']['queries']} "
            f"| < {TARGET_SECONDS:g} s: {verdict} |"
        )
    by_db: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        by_db.setdefault(r["database"], []).append(r)
    for db, mine in by_db.items():
        counts = {r["steady"]["queries"] for r in mine}
        same = "the same" if len(counts) == 1 else "DIFFERENT"
        scales = " and ".join(f"{r['items']:,}" for r in mine)
        queries = ", ".join(map(str, sorted(counts)))
        lines.append(
            f"\n{db}: a steady-state scan makes {queries} queries at {scales} items ({same}); "
            "the first scan adds "
            "the bulk INSERTs of what it decided (one per table on PostgreSQL; on SQLite one per "
            "~60-100 rows, its limit of 999 parameters per statement)."
        )
    return "\n".join(lines)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=parse_int_list, default=[1000, 100_000])
    parser.add_argument(
        "--databases",
        type=lambda text: [d.strip() for d in text.split(",") if d.strip()],
        default=["sqlite", "postgresql"],
    )
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--show-queries", action="store_true", help="Print the SQL statements of each scan."
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if set(args.databases) - {"sqlite", "postgresql"}:
        parser.error("--databases: sqlite and/or postgresql")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.measure:
        result = measure(args.scales[0], args.users, args.seed)
        print(RESULT_PREFIX + json.dumps(result), flush=True)
        return 0
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    if os.getloadavg()[0] > 1.0:
        print(
            f"Warning: the load average is {os.getloadavg()[0]:.1f}; other work on this "
            "machine will skew the figures.",
            file=sys.stderr,
        )
    runs = []
    try:
        for kind in args.databases:
            for items in sorted(args.scales):
                runs.append(bench_one(kind, items, args))
    except KeyboardInterrupt:
        print("\nInterrupted; every database created was dropped.", file=sys.stderr)
        return 130
    print(f"\nHotwash reminder scan, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs")
    print(report(runs))
    for r in runs:
        print(
            f"{r['database']} {r['items']:,} items ({r['open_items']:,} open), generated in "
            f"{r['generated_s']} s: {r['ledger_rows']:,} ledger rows, {r['email_tasks']:,} email "
            f"tasks, {r['webhook_deliveries']:,} webhook deliveries."
        )
        if args.show_queries:
            for label in ("first", "steady"):
                print(f"  {label} scan:")
                for statement in r[f"{label}_statements"]:
                    print(f"    {statement}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

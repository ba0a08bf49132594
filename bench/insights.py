"""Bench the insights page: p95 latency at 100,000 incidents, both databases.

    .venv/bin/python bench/insights.py                        # 100,000 incidents, both databases
    .venv/bin/python bench/insights.py --scales 1k --databases sqlite --samples 10   # a smoke run

For each database and scale it creates a throwaway database (bench/core.py's
helpers: a temporary SQLite file, or a PostgreSQL database dropped
afterwards), fills it with bench/generate.py (incidents over three years,
their services, participants and role history, `--events` timeline entries
each), then adds what insights read and generate.py does not write: six
teams owning the 30 services; a postmortem for 30 % of the incidents (due
14 days after the declaration; most approved, some late, some still open),
each with writing traces (section saves) and a review; one or two action
items per postmortem; trigger-policy firings for 10 % of the incidents; and
near-miss reports. Then it starts the real server (`hotwash serve
--workers 1 --no-worker`, with `hotwash worker --no-periodic` beside it for
the queued tasks) and times GET requests, one after another, signed in
through the login form:

| page | who |
|---|---|
| /en/insights/ (the last 13 weeks: the default) | an admin, and a manager (a responder granted "view insights": pays for the private-incident filter) |
| the same after a change: a timeline note written through the API before each request (not timed) | the admin and the manager |
| /en/insights/?period=12m | the admin (52 weeks of bars) |
| uncached: 13 weeks from a different Monday each time | the admin and the manager |

The figures are kept per reader and filters (hotwash.insights.figures):
the default rows measure a reload; "after a change" measures the page while
data changes, when the worker computes new figures and the page shows the
kept ones with their time; the uncached rows measure a first view of new
filters, computing and drawing everything on the page.

Ceiling (issue 17): the default page, reloaded and after a change, under
300 ms p95 at 100,000 incidents on each database. The other rows are
printed for information.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from _common import RESULTS_DIR, parse_int_list, setup_django
from core import (
    BENCH_PASSWORD,
    BENCH_USER,
    HOST,
    HOTWASH,
    PG_ADMIN_URL,
    RESPONDER_PASSWORD,
    RESPONDER_USER,
    BenchError,
    Database,
    _children,
    _wait_until_up,
    free_port,
    login,
    prepare,
    run,
    start,
    stop,
    throwaway_database,
    time_requests,
)

CEILING_P95_MS = 300.0
CEILING_PAGES = (
    "default (admin)",
    "default (manager)",
    "after a change (admin)",
    "after a change (manager)",
)


def pages(seed: int, change: Callable[[], None]) -> dict[str, tuple[str, str, Callable[[], str]]]:
    """What to time: (user, password, the next path to ask for; anything
    the callable does before answering is not timed).

    "After a change" writes a timeline note through the API before each
    request: the data changed, so the kept figures are of older data, and the
    worker computes new ones while the page shows the kept ones (see
    hotwash.insights.figures). "Uncached" asks for a different 13-week
    period each time: a first view of new filters, the cost of computing and
    drawing everything on the page."""
    rng = random.Random(seed)
    mondays = [date(2026, 11, 30) - timedelta(weeks=n) for n in range(13, 150)]
    rng.shuffle(mondays)

    def uncached() -> str:
        first = mondays.pop() if mondays else date(2024, 1, 1)
        last = first + timedelta(weeks=13, days=-1)
        return f"/en/insights/?since={first.isoformat()}&until={last.isoformat()}"

    def after_a_change() -> str:
        change()
        return "/en/insights/"

    return {
        "default (admin)": (BENCH_USER, BENCH_PASSWORD, lambda: "/en/insights/"),
        "default (manager)": (RESPONDER_USER, RESPONDER_PASSWORD, lambda: "/en/insights/"),
        "after a change (admin)": (BENCH_USER, BENCH_PASSWORD, after_a_change),
        "after a change (manager)": (RESPONDER_USER, RESPONDER_PASSWORD, after_a_change),
        "12 months (admin)": (BENCH_USER, BENCH_PASSWORD, lambda: "/en/insights/?period=12m"),
        "uncached 13 weeks (admin)": (BENCH_USER, BENCH_PASSWORD, uncached),
        "uncached 13 weeks (manager)": (RESPONDER_USER, RESPONDER_PASSWORD, uncached),
    }


def note_writer(url: str, token: str, ref: str) -> Callable[[], None]:
    """A change to the data: a timeline note on incident `ref`, through the
    API as a responder would write it."""
    client = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def change() -> None:
        answer = client.post(f"/api/v1/incidents/{ref}/timeline", json={"body": "Still looking."})
        if answer.status_code != 201:
            raise BenchError(f"Writing a note answered {answer.status_code}: {answer.text[:300]}")

    return change


# --- filling (runs in a child process, in the bench database's environment) ----


def fill(seed: int) -> None:
    """Add teams, postmortems, action items, traces, firings and reports."""
    setup_django()
    from django.db import transaction
    from django.utils import timezone

    from hotwash.actions.models import ActionItem
    from hotwash.actions.models import Status as ItemStatus
    from hotwash.core.models import AuditRecord
    from hotwash.incidents.models import Incident, Service
    from hotwash.postmortems.models import Postmortem
    from hotwash.postmortems.models import Status as PostmortemStatus
    from hotwash.reports.models import Report
    from hotwash.teams.models import Team
    from hotwash.triggers.models import Action, Mode, PolicyFiring, Trigger

    rng = random.Random(seed)
    now = timezone.now()
    services = list(Service.objects.order_by("pk"))
    with transaction.atomic():
        for number in range(6):
            team = Team.objects.create(name=f"Team {number + 1}", slug=f"team-{number + 1}")
            team.services.set(services[number::6])
    rows = Incident.objects.values_list("pk", "declared_at", "status", "severity")
    postmortems: list[Postmortem] = []
    firings: list[PolicyFiring] = []
    for pk, declared, status, severity in rows.iterator(chunk_size=5000):
        if rng.random() < 0.1:
            firings.append(
                PolicyFiring(
                    policy_id=f"bench-{severity}",
                    trigger=rng.choice(Trigger.values),
                    mode=Mode.DECLARE,
                    action=Action.DECLARED,
                    key=f"incident-{pk}",
                    fired_at=declared,
                    incident_id=pk,
                )
            )
        if status not in ("resolved", "closed") or rng.random() > 0.3:
            continue
        due = (declared + timedelta(days=14)).date()
        roll = rng.random()
        approved = None
        state = PostmortemStatus.DRAFT
        if roll < 0.85:
            approved = declared + timedelta(days=rng.uniform(2, 25))
            state = PostmortemStatus.APPROVED
            if approved > now:
                approved, state = None, PostmortemStatus.IN_REVIEW
        postmortems.append(
            Postmortem(
                incident_id=pk,
                template="standard",
                title=f"Postmortem of INC-{pk}",
                status=state,
                required=severity <= 2,
                due_on=due,
                approved_at=approved,
                created_at=declared,
                updated_at=approved or declared,
            )
        )
    PolicyFiring.objects.bulk_create(firings, batch_size=2000)
    Postmortem.objects.bulk_create(postmortems, batch_size=2000)
    items: list[ActionItem] = []
    traces: list[AuditRecord] = []
    people = list(
        Incident.participants.through.objects.values_list("user_id", flat=True).distinct()[:300]
    )
    saved = Postmortem.objects.values_list("pk", "created_at", "due_on", "approved_at")
    for pk, created, due_on, approved in saved.iterator(chunk_size=5000):
        due = due_on or created.date()
        author, reviewer = rng.choice(people), rng.choice(people)
        start = created + timedelta(days=rng.uniform(0.5, 5))
        for step in range(3):
            traces.append(
                AuditRecord(
                    at=start + timedelta(minutes=step * rng.uniform(5, 50)),
                    actor_id=author,
                    action="postmortem.section_saved",
                    object_type="postmortems.postmortem",
                    object_id=str(pk),
                )
            )
        if approved:
            traces.append(
                AuditRecord(
                    at=approved,
                    actor_id=reviewer,
                    action="postmortem.reviewed",
                    object_type="postmortems.postmortem",
                    object_id=str(pk),
                )
            )
        for _item in range(rng.choice((1, 1, 2))):
            made = created + timedelta(days=1)
            done_at = made + timedelta(days=rng.uniform(1, 60))
            done = done_at < now and rng.random() < 0.7
            items.append(
                ActionItem(
                    postmortem_id=pk,
                    title="Add an alert on the queue depth",
                    owner_id=author,
                    due_on=due + timedelta(days=30),
                    status=ItemStatus.DONE if done else ItemStatus.OPEN,
                    done_at=done_at if done else None,
                    created_at=made,
                    updated_at=done_at if done else made,
                )
            )
    AuditRecord.objects.bulk_create(traces, batch_size=5000)
    ActionItem.objects.bulk_create(items, batch_size=5000)
    Report.objects.bulk_create(
        [
            Report(
                kind="near-miss",
                text="A deploy nearly went to the wrong region.",
                created_at=now - timedelta(days=rng.uniform(0, 365)),
            )
            for _n in range(500)
        ],
        batch_size=500,
    )
    print(
        f"filled: {len(firings)} firings, {len(postmortems)} postmortems, "
        f"{len(items)} action items, {len(traces)} traces"
    )


# --- measuring -------------------------------------------------------------------


@contextlib.contextmanager
def page_server(database: Database, log_path: Path) -> Iterator[str]:
    """`hotwash serve --workers 1 --no-worker` and, beside it, `hotwash
    worker --no-periodic`: queued tasks (the insights figures computed again
    after a change, the notifications of the notes written) run as in
    production, but not the periodic jobs, which would otherwise spend the
    measurement sending reminders about the 40,000 generated action items."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        worker = start(
            [*HOTWASH, "worker", "--no-periodic"],
            database.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        process = start(
            [*HOTWASH, "serve", "--host", HOST, "--port", str(port), "--workers", "1",
             "--no-worker"],
            database.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://{HOST}:{port}"
        try:
            _wait_until_up(url, process, log_path)
            yield url
        finally:
            stop(process)
            stop(worker)


def bench_one(kind: str, incidents: int, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n== {kind}, {incidents:,} incidents ==", flush=True)
    with throwaway_database(kind, args.pg_url) as database:
        generated, token = prepare(database, incidents, args.events)
        started = time.perf_counter()
        run(
            [sys.executable, __file__, "_fill", "--seed", str(args.seed)],
            database.env,
            timeout=3600,
            quiet=False,
        )
        filled = time.perf_counter() - started
        database.hotwash("insights-viewers", "grant", RESPONDER_USER)
        if kind == "postgresql":
            database.hotwash("shell", "-c", "from django.db import connection; "
                             "connection.cursor().execute('ANALYZE')")  # fmt: skip
        log = RESULTS_DIR / f"server-insights-{kind}-{incidents}.log"
        measured: dict[str, Any] = {}
        with page_server(database, log) as url:
            change = note_writer(url, token, f"INC-{incidents}")
            for name, (user, password, path) in pages(args.seed, change).items():
                with contextlib.closing(login(url, user, password)) as browser:
                    timings = time_requests(browser, path, args.samples, args.warmup)
                measured[name] = timings.summary(50, 95)
                print(f"  {name}: p95 {measured[name]['p95_ms']} ms", flush=True)
    return {
        "database": kind,
        "incidents": incidents,
        "generate_s": round(generated, 1),
        "fill_s": round(filled, 1),
        "pages": measured,
    }


def report(runs: list[dict[str, Any]]) -> str:
    lines = [
        f"{'database':<11} {'incidents':>9}  {'page':<24} {'p50 ms':>8} {'p95 ms':>8}  ceiling",
    ]
    for result in runs:
        for name, figures in result["pages"].items():
            ceiling = ""
            if name in CEILING_PAGES:
                verdict = "ok" if figures["p95_ms"] < CEILING_P95_MS else "MISSED"
                ceiling = f"< {CEILING_P95_MS:.0f} ms p95: {verdict}"
            lines.append(
                f"{result['database']:<11} {result['incidents']:>9,}  {name:<24} "
                f"{figures['p50_ms']:>8.1f} {figures['p95_ms']:>8.1f}  {ceiling}"
            )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="100000", help="Incident counts (default 100000).")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql.")
    parser.add_argument("--events", type=float, default=2, help="Timeline entries per incident.")
    parser.add_argument("--samples", type=int, default=40, help="Requests per page (40).")
    parser.add_argument("--warmup", type=int, default=3, help="Unmeasured requests first (3).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL admin URL.")
    parser.add_argument("--no-json", action="store_true", help="Do not write bench/results/.")
    args = parser.parse_args(argv)
    args.scales = parse_int_list(args.scales)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if set(args.databases) - {"sqlite", "postgresql"}:
        parser.error("--databases: use sqlite and/or postgresql.")
    return args


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_fill"]:
        fill(int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 7)
        return 0
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    started_at = datetime.now(UTC)
    runs = []
    try:
        for kind in args.databases:
            for incidents in args.scales:
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
    print(
        f"\nHotwash insights bench, {started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs; "
        f"{args.samples} requests per page after {args.warmup} unmeasured."
    )
    print(report(runs))
    if not args.no_json:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"insights-{started_at:%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps({"started_at": started_at.isoformat(), "runs": runs}, indent=2))
        print(f"\nResults written to {path}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

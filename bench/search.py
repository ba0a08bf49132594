"""Measure search latency against issue 17's targets, on both databases.

    python bench/search.py                           # 1,000 and 100,000 incidents, both databases
    python bench/search.py --sizes 1k,10k --databases sqlite
    python bench/search.py --sizes 30 --samples 3    # a smoke run

For each database and size it creates a throwaway database (a temporary
SQLite file, or a PostgreSQL database on 127.0.0.1:5432 dropped afterwards),
migrates it and fills it with bench/generate.py (`--events` timeline entries
per incident, 20 by default), then, in a process of its own on that
database (`--worker`):
- adds postmortems (10 % of the incidents: 10,000 at 100,000) with three
  sections in English and in French, and a few timeline notes holding rare
  words, with bulk inserts;
- builds the search index with `hotwash.search.index.rebuild` (what
  `hotwash reindex` runs), timed;
- searches each query of a mix of rare and common words, in English and
  French, `--samples` times after a warm-up, as a responder who is not an
  admin (who pays for the private-incident filter), through
  `hotwash.search.queries.search`: what the page, the API and the CLI call,
  candidates, ranking, the visibility check and the snippets included (not
  the HTTP round trip nor the page's template).

It prints p50 / p95 per database and size, over the whole mix and over the
common words alone, the worst common word on its own, each beside its
ceiling: p95 under 100 ms at the largest size, and within 2x of the
smallest. It prints figures; nothing here is a test.
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

from _common import BENCH_DIR, parse_int_list, percentile, setup_django

CEILING_MS = 100.0
CEILING_RATIO = 2.0
DEFAULT_SIZES = "1k,100k"
# The words each query looks for. Rare: a handful of documents hold them
# (`add_rare_words`); common: generated text uses them in most incidents or
# in every postmortem.
RARE = ["zeppelin", "kangourou", "ornithopter gearbox", "facturation doublée"]
COMMON = [
    "status page",
    "checkout",
    "rolled back",
    "timeouts",
    "firing",
    "error rate",
    "paiements",
    "leçons",
]
RARE_NOTES = {
    "zeppelin": "The zeppelin batch job held a lock on the orders table.",
    "kangourou": "Le script kangourou a vidé le cache des sessions.",
    "ornithopter gearbox": "Ornithopter gearbox telemetry stopped after the upgrade.",
    "facturation doublée": "Une facturation doublée a touché une centaine de clients.",
}
RARE_COPIES = 5
SECTIONS = {
    "summary": (
        "A release of {service} slowed checkout; we rolled back within the hour.",
        "Une mise en production de {service} a ralenti les paiements ; retour arrière en une heure.",
    ),
    "causes": (
        "A missing index made a query scan the whole table under load.",
        "Un index manquant faisait parcourir toute la table sous la charge.",
    ),
    "lessons": (
        "Load-test migrations before release.\nAlert on query latency, not only errors.",
        "Leçons : tester les migrations sous charge.\nAlerter sur la latence des requêtes.",
    ),
}
SERVICES = ["checkout", "payments", "search", "exports", "login", "notifications"]
RESPONDER = "amira.martin"  # a plain responder bench/generate.py always creates


# --- inside the database's process (--worker) ------------------------------------


def add_postmortems(count: int, rng: random.Random) -> int:
    """`count` postmortems of the newest incidents, each with its sections in
    both languages, by bulk insert (no index written: `rebuild` does it)."""
    from hotwash.incidents.models import Incident
    from hotwash.postmortems.models import Postmortem, Section

    incidents = list(
        Incident.objects.filter(postmortem__isnull=True)
        .order_by("-pk")
        .values_list("pk", "title", "declared_at")[:count]
    )
    now = datetime.now(UTC)
    postmortems = [
        Postmortem(
            incident_id=pk,
            kind="incident",
            template="default",
            title=title,
            status=rng.choice(["draft", "published"]),
            original_language=rng.choice(["en", "fr"]),
            created_at=declared + timedelta(days=2),
            updated_at=now,
        )
        for pk, title, declared in incidents
    ]
    for start in range(0, len(postmortems), 1000):
        Postmortem.objects.bulk_create(postmortems[start : start + 1000])
    ids = list(Postmortem.objects.order_by("pk").values_list("pk", flat=True))
    sections = [
        Section(
            postmortem_id=pk,
            key=key,
            language=language,
            body=text.format(service=rng.choice(SERVICES)),
            updated_at=now,
        )
        for pk in ids
        for key, texts in SECTIONS.items()
        for language, text in zip(("en", "fr"), texts, strict=True)
    ]
    for start in range(0, len(sections), 2000):
        Section.objects.bulk_create(sections[start : start + 2000])
    return len(ids)


def add_rare_words(rng: random.Random) -> None:
    """RARE_COPIES notes holding each rare word, on random incidents."""
    from hotwash.incidents.models import Incident, TimelineEvent

    ids = list(Incident.objects.values_list("pk", flat=True))
    now = datetime.now(UTC)
    notes = [
        TimelineEvent(
            incident_id=rng.choice(ids), occurred_at=now, recorded_at=now, kind="note", body=body
        )
        for body in RARE_NOTES.values()
        for _ in range(RARE_COPIES)
    ]
    TimelineEvent.objects.bulk_create(notes)


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(queries: Sequence[str], samples: int, username: str = RESPONDER) -> dict[str, Any]:
    """Each query searched `samples` times (after one warm-up) as `username`;
    durations in milliseconds, and how many results the first page held."""
    from django.contrib.auth.models import User

    from hotwash.search.queries import SearchParams, search

    user = User.objects.get(username=username)
    figures: dict[str, Any] = {}
    for query in queries:
        params = SearchParams(text=query, per_page=20)
        found = search(user, params)  # warm-up
        durations = []
        for _ in range(samples):
            started = time.perf_counter()
            search(user, params)
            durations.append((time.perf_counter() - started) * 1000)
        figures[query] = {"ms": durations, "count": found.count, "exact": found.exact}
    return figures


def worker(samples: int, postmortems: int, seed: int) -> dict[str, Any]:
    """Everything done on the database this process runs on; JSON-ready."""
    setup_django()
    from hotwash.search.index import rebuild

    rng = random.Random(seed)
    started = time.perf_counter()
    written = add_postmortems(postmortems, rng)
    add_rare_words(rng)
    added_s = time.perf_counter() - started
    from django.db import transaction

    started = time.perf_counter()
    with transaction.atomic():
        documents = rebuild()
    indexed_s = time.perf_counter() - started
    analyze()
    return {
        "postmortems": written,
        "documents": documents,
        "added_s": round(added_s, 1),
        "indexed_s": round(indexed_s, 1),
        "rare": measure(RARE, samples),
        "common": measure(COMMON, samples),
    }


# --- the driver ------------------------------------------------------------------


def bench_one(kind: str, incidents: int, args: argparse.Namespace) -> dict[str, Any]:
    from core import GENERATE, run, throwaway_database

    print(f"{kind}, {incidents:,} incidents: generating ...", file=sys.stderr, flush=True)
    with throwaway_database(kind, args.pg_url) as database:
        started = time.perf_counter()
        quiet = [] if sys.stderr.isatty() else ["--quiet"]
        run(
            [*GENERATE, "--incidents", str(incidents), "--events", str(args.events), *quiet],
            database.env,
            timeout=7200,
            quiet=True,
        )
        generated_s = time.perf_counter() - started
        postmortems = args.postmortems if args.postmortems is not None else incidents // 10
        print(f"{kind}, {incidents:,} incidents: indexing, searching ...", file=sys.stderr)
        output = run(
            [
                sys.executable,
                str(BENCH_DIR / "search.py"),
                "--worker",
                "--samples",
                str(args.samples),
                "--postmortems",
                str(postmortems),
                "--seed",
                str(args.seed),
            ],
            database.env,
            timeout=7200,
        )
    figures: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return {
        "database": kind,
        "incidents": incidents,
        "generated_s": round(generated_s, 1),
        **figures,
    }


def summarise(run: dict[str, Any]) -> dict[str, Any]:
    """p50 / p95 over the mix and over the common words; the worst common word."""
    every = [ms for group in ("rare", "common") for q in run[group].values() for ms in q["ms"]]
    common = [ms for q in run["common"].values() for ms in q["ms"]]
    worst_word, worst = max(
        ((word, percentile(q["ms"], 95)) for word, q in run["common"].items()),
        key=lambda pair: pair[1],
    )
    return {
        "p50": percentile(every, 50),
        "p95": percentile(every, 95),
        "common_p95": percentile(common, 95),
        "worst_word": worst_word,
        "worst_p95": worst,
        "worst_count": run["common"][worst_word]["count"],
    }


def _verdict(passed: bool) -> str:
    return "ok" if passed else "MISSED"


def report(runs: list[dict[str, Any]]) -> str:
    """The figures, each beside its ceiling."""
    lines = []
    for kind in dict.fromkeys(run["database"] for run in runs):
        mine = sorted((r for r in runs if r["database"] == kind), key=lambda r: r["incidents"])
        smallest, largest = summarise(mine[0]), summarise(mine[-1])
        lines.append(f"\n{kind}")
        for run in mine:
            s = summarise(run)
            lines.append(
                f"  {run['incidents']:>9,} incidents, {run['postmortems']:,} postmortems, "
                f"{run['documents']:,} documents (indexed in {run['indexed_s']} s):"
            )
            ceiling = CEILING_MS if run is mine[-1] else None
            lines.append(
                f"    all queries   p50 {s['p50']:7.1f} ms   p95 {s['p95']:7.1f} ms"
                + (
                    f"   ceiling p95 < {CEILING_MS:.0f} ms: {_verdict(s['p95'] < CEILING_MS)}"
                    if ceiling
                    else ""
                )
            )
            lines.append(f"    common words                   p95 {s['common_p95']:7.1f} ms")
            lines.append(
                f"    worst common word {s['worst_word']!r}: p95 {s['worst_p95']:.1f} ms "
                f"({s['worst_count']:,}{'' if run['common'][s['worst_word']]['exact'] else '+'}"
                " matches)"
                + (
                    f"   ceiling < {CEILING_MS:.0f} ms: {_verdict(s['worst_p95'] < CEILING_MS)}"
                    if ceiling
                    else ""
                )
            )
        if len(mine) > 1:
            ratio = largest["p95"] / max(smallest["p95"], 1e-9)
            lines.append(
                f"  p95 at {mine[-1]['incidents']:,} / p95 at {mine[0]['incidents']:,}: "
                f"{ratio:.2f}x   ceiling <= {CEILING_RATIO:.0f}x: {_verdict(ratio <= CEILING_RATIO)}"
            )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"Incident counts (default {DEFAULT_SIZES})."
    )
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="sqlite, postgresql or both (default both).",
    )
    parser.add_argument("--events", type=float, default=20, help="Timeline entries per incident.")
    parser.add_argument(
        "--postmortems", type=int, default=None, help="Postmortems (default 10%% of incidents)."
    )
    parser.add_argument("--samples", type=int, default=30, help="Searches per query (30).")
    parser.add_argument("--seed", type=int, default=7, help="Random seed.")
    parser.add_argument(
        "--pg-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL admin URL.",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = parse_int_list(args.sizes)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if not args.sizes or any(size < 1 for size in args.sizes) or args.samples < 1:
        parser.error("--sizes must be positive numbers and --samples at least 1.")
    if set(args.databases) - {"sqlite", "postgresql"}:
        parser.error("--databases takes sqlite, postgresql or both.")
    return args


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.samples, args.postmortems or 0, args.seed)))
        return 0
    if os.getloadavg()[0] > 1.0:
        print(
            f"Warning: the load average is {os.getloadavg()[0]:.1f}; other work on this "
            "machine will skew the figures.",
            file=sys.stderr,
        )
    from core import BenchError, _children, stop

    # A `kill` cleans up as Ctrl-C does: children stopped, databases dropped.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    runs = []
    try:
        for kind in args.databases:
            for incidents in sorted(args.sizes):
                runs.append(bench_one(kind, incidents, args))
                # As soon as measured: a long run that fails later keeps it.
                print(report(runs[-1:]), file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("\nInterrupted; every database it created was dropped.", file=sys.stderr)
        return 130
    except BenchError as error:
        print(f"\nThe bench could not finish: {error}", file=sys.stderr)
        return 1
    finally:
        for process in list(_children):
            stop(process)
    print(report(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How well and how fast the blameless-language linter works.

Quality: runs `hotwash.blameless.engine.lint` on every sentence of the
labelled sets (written by hand, independently of the rules) and prints
precision, recall and F1 against the targets of issue 15 (precision >= 0.95
and recall >= 0.9 in each language, and recall >= 0.8 in every category), the
confusion counts and the recall per category. A sentence counts as flagged when `lint` returns any finding for it.
There are two sets per language, reported separately: the tuning set
`bench/data/blameless_<language>.jsonl`, which rule authors may look at, and
the held-out set `bench/data/heldout_<language>.jsonl`, which they must not
(its figure is the honest one). `--set tuning|heldout|both` (default both;
with both, a missing held-out file is skipped with a note). `--verbose`
lists the tuning set's false positives and negatives; the held-out set's
are listed only with `--verbose-heldout`, so that running the bench with
`--verbose` while tuning rules does not show them.

Speed: assembles a postmortem of about 20 pages (~60,000 characters of
Markdown: headings, lists, a table, code blocks and the data set's
sentences) and times `lint` on it, after a warm-up, against the 50 ms target.

Large texts: times `lint` on 1 MiB (the API's limit) of several adversarial
shapes (text without full stops, one very long word, long runs of spaces,
runs of punctuation with no space after them, a blame phrase repeated, many
participants' names, Markdown with unclosed code markers), each against the
ceiling of 1 s: a linter whose time grew faster than its input would miss
it by minutes.

    .venv/bin/python bench/lint_quality.py
    .venv/bin/python bench/lint_quality.py --language fr --verbose   # tuning set's misses
    .venv/bin/python bench/lint_quality.py --json      # also bench/results/lint-quality-<time>.json
    .venv/bin/python bench/lint_quality.py --set heldout --no-speed
    .venv/bin/python bench/lint_quality.py --set tuning --no-large   # skip the 1 MiB texts

It is a measurement: the exit status is 0 whether or not the targets are met,
and non-zero only when something fails (missing or malformed data, an engine
that cannot be imported or raises).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, RESULTS_DIR, percentile, setup_django

DATA_DIR = BENCH_DIR / "data"
LANGUAGES = ("en", "fr")
# Which labelled sets there are: key -> (file name prefix, label printed).
SETS = {"tuning": ("blameless", "tuning set"), "heldout": ("heldout", "held-out set")}
CATEGORIES = (
    "naming",
    "role",
    "human-error",
    "counterfactual",
    "judgement",
    "blame",
    "why-question",
)
PRECISION_TARGET = 0.95
RECALL_TARGET = 0.9
CATEGORY_RECALL_TARGET = 0.8
SPEED_TARGET_MS = 50.0
DOCUMENT_CHARS = 60_000  # about 20 pages of 3,000 characters
LARGE_CHARS = 1024 * 1024  # the longest text POST /api/v1/lint accepts
LARGE_CEILING_MS = 1000.0

Lint = Callable[..., list[Any]]


class DataError(Exception):
    """A data file is missing or a row is malformed."""


@dataclass
class Row:
    text: str
    blameful: bool
    category: str | None
    names: list[str]
    note: str = ""
    line: int = 0


@dataclass
class Miss:
    text: str
    category: str | None
    rules: list[str]
    note: str = ""


@dataclass
class Quality:
    language: str
    rows: int
    dataset: str = "tuning"
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    recall_by_category: dict[str, dict[str, float | int]] = field(default_factory=dict)
    false_positives: list[Miss] = field(default_factory=list)
    false_negatives: list[Miss] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Speed:
    language: str
    chars: int
    words: int
    runs: int
    findings: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    max_ms: float


@dataclass
class LargeSpeed:
    language: str
    shape: str
    chars: int
    runs: int
    findings: int
    p50_ms: float
    max_ms: float
    # Processor time of the slowest run: on a busy machine the wall-clock
    # time also counts waiting for a core.
    max_cpu_ms: float


def parse_row(obj: Any, where: str) -> Row:
    """A row of a data file, checked: raises DataError saying what is wrong."""
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a JSON object")
    unknown = set(obj) - {"text", "blameful", "category", "names", "note"}
    if unknown:
        raise DataError(f"{where}: unknown fields {sorted(unknown)}")
    text, blameful, category = obj.get("text"), obj.get("blameful"), obj.get("category")
    names, note = obj.get("names", []), obj.get("note", "")
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where}: 'text' must be a non-empty string")
    if not isinstance(blameful, bool):
        raise DataError(f"{where}: 'blameful' must be true or false")
    if blameful and category not in CATEGORIES:
        raise DataError(f"{where}: a blameful row needs a 'category' among {CATEGORIES}")
    if not blameful and category is not None:
        raise DataError(f"{where}: a blameless row has 'category': null")
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise DataError(f"{where}: 'names' must be a list of non-empty strings")
    if not isinstance(note, str):
        raise DataError(f"{where}: 'note' must be a string")
    return Row(text=text, blameful=blameful, category=category, names=names, note=note)


def load_rows(path: Path) -> list[Row]:
    """Every row of a JSON Lines data file (blank lines are skipped)."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: invalid JSON ({exc})") from exc
        row = parse_row(obj, where)
        key = " ".join(row.text.split()).casefold()
        if key in seen:
            raise DataError(f"{where}: same text as line {seen[key]}")
        seen[key] = number
        row.line = number
        rows.append(row)
    return rows


def ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def data_path(data_dir: Path, dataset: str, language: str) -> Path:
    return data_dir / f"{SETS[dataset][0]}_{language}.jsonl"


def measure_quality(
    lint: Lint, language: str, rows: Sequence[Row], dataset: str = "tuning"
) -> Quality:
    result = Quality(language=language, rows=len(rows), dataset=dataset)
    per_category: dict[str, list[int]] = {c: [0, 0] for c in CATEGORIES}  # [found, total]
    started = time.perf_counter()
    for row in rows:
        findings = lint(row.text, language, names=row.names)
        flagged = bool(findings)
        rules = sorted({f"{f.rule} ({f.category}): {f.excerpt!r}" for f in findings})
        miss = Miss(text=row.text, category=row.category, rules=rules, note=row.note)
        if row.blameful:
            assert row.category is not None
            per_category[row.category][1] += 1
            if flagged:
                result.tp += 1
                per_category[row.category][0] += 1
            else:
                result.fn += 1
                result.false_negatives.append(miss)
        elif flagged:
            result.fp += 1
            result.false_positives.append(miss)
        else:
            result.tn += 1
    result.seconds = time.perf_counter() - started
    result.precision = ratio(result.tp, result.tp + result.fp)
    result.recall = ratio(result.tp, result.tp + result.fn)
    pr = result.precision + result.recall
    result.f1 = 2 * result.precision * result.recall / pr if pr else 0.0
    result.recall_by_category = {
        c: {"found": found, "total": total, "recall": ratio(found, total)}
        for c, (found, total) in per_category.items()
        if total
    }
    return result


# --- the 20-page postmortem -------------------------------------------------

_CODE_BLOCKS = (
    "```console\n$ kubectl -n payments get pods -o wide\n"
    "NAME                        READY   STATUS             RESTARTS   AGE\n"
    "checkout-7c9f6b8d4-2xk8q    0/1     CrashLoopBackOff   14         52m\n"
    "checkout-7c9f6b8d4-9fj2m    1/1     Running            0          52m\n```\n",
    '```yaml\nalert: CheckoutErrorRate\nexpr: sum(rate(http_requests_total{code=~"5.."}[5m]))'
    " / sum(rate(http_requests_total[5m])) > 0.02\nfor: 5m\nlabels:\n  severity: page\n```\n",
    "```sql\nSELECT order_id, status, updated_at\nFROM orders\nWHERE updated_at > now() - interval "
    "'1 hour'\nORDER BY updated_at DESC\nLIMIT 50;\n```\n",
    "```text\n2024-03-12T14:02:11Z ERROR pool exhausted: 100/100 connections in use\n"
    "2024-03-12T14:02:12Z WARN  retrying request 3/5 after 200ms\n```\n",
)

_HEADINGS = {
    "en": (
        "Summary",
        "Impact",
        "Timeline",
        "Detection",
        "Response",
        "Contributing factors",
        "What went well",
        "What was difficult",
        "Where we got lucky",
        "Lessons learned",
        "Action items",
        "Appendix",
    ),
    "fr": (
        "Résumé",
        "Impact",
        "Chronologie",
        "Détection",
        "Intervention",
        "Facteurs contributifs",
        "Ce qui a bien fonctionné",
        "Ce qui a été difficile",
        "Là où nous avons eu de la chance",
        "Leçons apprises",
        "Mesures de suivi",
        "Annexe",
    ),
}

_TABLE = {
    "en": "| Time (UTC) | Event |\n|---|---|\n| 14:02 | Error rate above 2% |\n"
    "| 14:07 | Incident declared |\n| 14:29 | Rollback started |\n| 14:33 | Recovered |\n",
    "fr": "| Heure (HNE) | Événement |\n|---|---|\n| 14 h 02 | Taux d'erreur au-dessus de 2 % |\n"
    "| 14 h 07 | Incident déclaré |\n| 14 h 29 | Retour arrière |\n| 14 h 33 | Rétablissement |\n",
}


def build_document(language: str, rows: Sequence[Row], chars: int = DOCUMENT_CHARS) -> str:
    """A realistic Markdown postmortem of about `chars` characters: sections of
    paragraphs (three to five sentences), bullet lists, a table and code blocks,
    built from the data set's sentences (both labels) in a fixed shuffled order."""
    rng = random.Random(f"hotwash-{language}")
    sentences = [r.text for r in rows]
    title = "Postmortem: checkout outage" if language == "en" else "Bilan post-incident : panne"
    parts = [f"# {title}\n\n"]
    size = len(parts[0])
    headings = _HEADINGS[language]
    section = 0
    pool: list[str] = []

    def take() -> str:
        if not pool:
            pool.extend(sentences)
            rng.shuffle(pool)
        return pool.pop()

    while size < chars:
        heading = headings[section % len(headings)]
        block = [f"## {heading} ({section // len(headings) + 1})\n\n"]
        for _ in range(3):
            block.append(" ".join(take() for _ in range(rng.randint(3, 5))) + "\n\n")
        block.extend(f"- {take()}\n" for _ in range(rng.randint(3, 6)))
        block.append("\n")
        if section % 3 == 0:
            block.append(_CODE_BLOCKS[section % len(_CODE_BLOCKS)] + "\n")
        if section % 4 == 1:
            block.append(_TABLE[language] + "\n")
        text = "".join(block)
        parts.append(text)
        size += len(text)
        section += 1
    return "".join(parts)


def measure_speed(
    lint: Lint, language: str, document: str, names: Iterable[str], runs: int, warmup: int
) -> Speed:
    names = sorted(set(names))
    findings = 0
    for _ in range(warmup):
        findings = len(lint(document, language, names=names))
    timings: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        lint(document, language, names=names)
        timings.append((time.perf_counter() - started) * 1000)
    return Speed(
        language=language,
        chars=len(document),
        words=len(document.split()),
        runs=runs,
        findings=findings,
        p50_ms=percentile(timings, 50),
        p95_ms=percentile(timings, 95),
        mean_ms=statistics.fmean(timings),
        max_ms=max(timings),
    )


# --- 1 MiB of adversarial text -------------------------------------------------

# A blame phrase, a few words that are not one, and people's names.
_PHRASE = {"en": "the root cause was human error ", "fr": "la cause est une erreur humaine "}
_GIVEN = ("Amira", "Bruno", "Chloé", "Dmitri", "Esther", "Farid", "Grace", "Hana", "Igor", "Jens")
_FAMILY = (
    "Haddad",
    "Okafor",
    "Tremblay",
    "Nguyen",
    "Kowalski",
    "Silva",
    "Moreau",
    "Sato",
    "Ali",
    "Berg",
)
_NO_FULL_STOPS = re.compile(r"[.!?;:\n]+")


def _repeat(unit: str, chars: int) -> str:
    return (unit * (chars // len(unit) + 1))[:chars]


def _ending(chars: int, text: str, ending: str) -> str:
    """`text` cut so that, with `ending` after it, it is `chars` long."""
    return text[: max(0, chars - len(ending))] + ending


def large_texts(
    language: str, rows: Sequence[Row], chars: int
) -> list[tuple[str, str, list[str], bool]]:
    """The adversarial texts, `chars` characters each, as (shape, text,
    names, is Markdown). Each has blameful words in it, so that a linter
    that gave up early would show it in its findings."""
    phrase = _PHRASE[language]
    prose = " ".join(_NO_FULL_STOPS.sub(" ", r.text) for r in rows) + " "
    row_names = sorted({n for r in rows for n in r.names})
    # 100 participants, each by display name and username: the API's 200 names.
    people = [(f"{g} {f}", f"{g}.{f}".lower()) for g in _GIVEN for f in _FAMILY]
    names = [n for pair in people for n in pair]
    verb = "broke the deploy" if language == "en" else "a cassé le déploiement"
    by_name = "".join(
        f"{display} {verb} and @{username} watched "
        if i % 10 == 0
        else f"{display} and @{username} "
        for i, (display, username) in enumerate(people)
    )
    growing = "".join("`" * n + "a" for n in range(1, 1500))
    return [
        ("text without full stops", _repeat(prose, chars), row_names, False),
        ("one very long word", _ending(chars, "x" * chars, " " + phrase), [], False),
        ("long runs of spaces", _repeat(phrase + " " * 4096, chars), [], False),
        (
            "punctuation, no spaces",
            _ending(chars, _repeat(".?!;:", chars), "x " + phrase),
            [],
            False,
        ),
        ("a blame phrase repeated", _repeat(phrase, chars), [], False),
        ("many names", _repeat(by_name, chars), names, False),
        (
            "unclosed Markdown code",
            _ending(chars, _repeat(growing, chars), "\n" + phrase),
            [],
            True,
        ),
    ]


def measure_large(
    lint: Lint, lint_markdown: Lint, language: str, rows: Sequence[Row], chars: int, runs: int
) -> list[LargeSpeed]:
    results: list[LargeSpeed] = []
    for shape, text, names, markdown in large_texts(language, rows, chars):
        check = lint_markdown if markdown else lint
        timings: list[float] = []
        cpu: list[float] = []
        findings = 0
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            findings = len(check(text, language, names=names))
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        results.append(
            LargeSpeed(
                language=language,
                shape=shape,
                chars=len(text),
                runs=runs,
                findings=findings,
                p50_ms=percentile(timings, 50),
                max_ms=max(timings),
                max_cpu_ms=max(cpu),
            )
        )
    return results


# --- output -----------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_quality(q: Quality, verbose: bool) -> None:
    print(
        f"\n== {q.language}: {q.rows} sentences ({SETS[q.dataset][1]}), "
        f"linted in {q.seconds * 1000:.0f} ms =="
    )
    print(f"  {'figure':<12}{'value':>8}   target")
    print(
        f"  {'precision':<12}{q.precision:>8.3f}   >= {PRECISION_TARGET}  "
        f"{verdict(q.precision >= PRECISION_TARGET)}"
    )
    print(
        f"  {'recall':<12}{q.recall:>8.3f}   >= {RECALL_TARGET}  {verdict(q.recall >= RECALL_TARGET)}"
    )
    print(f"  {'F1':<12}{q.f1:>8.3f}")
    print(f"  counts: TP {q.tp}  FP {q.fp}  FN {q.fn}  TN {q.tn}")
    print(f"  recall by category (target >= {CATEGORY_RECALL_TARGET} each):")
    for category, figures in q.recall_by_category.items():
        print(
            f"    {category:<16}{figures['found']:>4} / {figures['total']:<4}"
            f"{figures['recall']:>7.3f}  {verdict(figures['recall'] >= CATEGORY_RECALL_TARGET)}"
        )
    if not verbose:
        if q.fp or q.fn:
            flag = "--verbose-heldout" if q.dataset == "heldout" else "--verbose"
            print(f"  ({flag} lists the false positives and false negatives)")
        return
    print(f"  false positives ({q.fp}): blameless sentences that were flagged")
    for miss in q.false_positives:
        print(f"    - {miss.text}")
        if miss.note:
            print(f"        note: {miss.note}")
        for rule in miss.rules:
            print(f"        fired: {rule}")
    print(f"  false negatives ({q.fn}): blameful sentences that were not flagged")
    for miss in q.false_negatives:
        print(f"    - [{miss.category}] {miss.text}")
        if miss.note:
            print(f"        note: {miss.note}")


def print_speed(s: Speed) -> None:
    print(
        f"  speed ({s.language}): {s.chars:,} chars / {s.words:,} words, {s.findings} findings, "
        f"{s.runs} runs: p50 {s.p50_ms:.1f} ms, p95 {s.p95_ms:.1f} ms "
        f"(mean {s.mean_ms:.1f}, max {s.max_ms:.1f})   target p95 < {SPEED_TARGET_MS:.0f} ms  "
        f"{verdict(s.p95_ms < SPEED_TARGET_MS)}"
    )


def print_large(results: Sequence[LargeSpeed]) -> None:
    if not results:
        return
    first = results[0]
    print(
        f"  large texts ({first.language}): {first.chars:,} chars each, {first.runs} runs, "
        f"ceiling max < {LARGE_CEILING_MS:.0f} ms"
    )
    for r in results:
        print(
            f"    {r.shape:<26}{r.findings:>8,} findings: p50 {r.p50_ms:.0f} ms, "
            f"max {r.max_ms:.0f} ms (cpu {r.max_cpu_ms:.0f})   ceiling < {LARGE_CEILING_MS:.0f} ms  "
            f"{verdict(r.max_ms < LARGE_CEILING_MS)}"
        )


def write_json(
    qualities: list[Quality], speeds: list[Speed], large: Sequence[LargeSpeed] = ()
) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"lint-quality-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    payload = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "targets": {
            "precision": PRECISION_TARGET,
            "recall": RECALL_TARGET,
            "category_recall": CATEGORY_RECALL_TARGET,
            "speed_p95_ms": SPEED_TARGET_MS,
            "large_max_ms": LARGE_CEILING_MS,
        },
        "quality": [asdict(q) for q in qualities],
        "speed": [asdict(s) for s in speeds],
        "large": [asdict(r) for r in large],
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", choices=[*LANGUAGES, "both"], default="both")
    parser.add_argument(
        "--verbose", action="store_true", help="list the tuning set's false positives and negatives"
    )
    parser.add_argument(
        "--verbose-heldout",
        action="store_true",
        help="also list the held-out set's (not for rule authors: it would spoil the set)",
    )
    parser.add_argument("--json", action="store_true", help="also write bench/results/*.json")
    parser.add_argument("--runs", type=int, default=50, help="timed runs of the long document")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first")
    parser.add_argument(
        "--limit", type=int, default=0, help="use only the first N rows of each label (smoke)"
    )
    parser.add_argument(
        "--no-speed", action="store_true", help="skip the speed measurements (both of them)"
    )
    parser.add_argument("--no-large", action="store_true", help="skip the 1 MiB texts")
    parser.add_argument(
        "--large-chars",
        type=int,
        default=LARGE_CHARS,
        help="size of each adversarial text (default 1 MiB; smaller for a smoke run)",
    )
    parser.add_argument("--large-runs", type=int, default=3, help="timed runs of each of them")
    parser.add_argument(
        "--set",
        dest="dataset",
        choices=[*SETS, "both"],
        default="both",
        help="tuning (blameless_<lang>.jsonl), heldout (heldout_<lang>.jsonl) or both",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DATA_DIR,
        help="where blameless_<lang>.jsonl and heldout_<lang>.jsonl are",
    )
    return parser.parse_args(argv)


def subset(rows: list[Row], limit: int) -> list[Row]:
    if limit <= 0:
        return rows
    blameful = [r for r in rows if r.blameful][:limit]
    blameless = [r for r in rows if not r.blameful][:limit]
    return blameful + blameless


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    languages = LANGUAGES if args.language == "both" else (args.language,)
    datasets = tuple(SETS) if args.dataset == "both" else (args.dataset,)
    skipped: list[Path] = []
    data: dict[tuple[str, str], list[Row]] = {}
    try:
        for dataset in datasets:
            for lang in languages:
                path = data_path(args.data_dir, dataset, lang)
                if dataset == "heldout" and args.dataset == "both" and not path.exists():
                    skipped.append(path)
                    continue
                data[dataset, lang] = subset(load_rows(path), args.limit)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    setup_django()
    from hotwash.blameless.engine import lint, lint_markdown

    print("Blameless-language linter: quality on the labelled sets, and speed")
    qualities: list[Quality] = []
    speeds: list[Speed] = []
    large: list[LargeSpeed] = []
    for dataset in datasets:
        present = [lang for lang in languages if (dataset, lang) in data]
        if not present:
            continue
        print(f"\n##### {SETS[dataset][1]} ({SETS[dataset][0]}_<lang>.jsonl) #####")
        for lang in present:
            rows = data[dataset, lang]
            quality = measure_quality(lint, lang, rows, dataset)
            qualities.append(quality)
            # The held-out misses are only listed when asked for by name, so
            # that rule authors running --verbose never see them.
            verbose = args.verbose_heldout if dataset == "heldout" else args.verbose
            print_quality(quality, verbose)
            # The speed is measured once per language, on the first set run.
            if not args.no_speed and not any(s.language == lang for s in speeds):
                document = build_document(lang, rows)
                names = {n for r in rows for n in r.names}
                speed = measure_speed(lint, lang, document, names, max(1, args.runs), args.warmup)
                speeds.append(speed)
                print_speed(speed)
                if not args.no_large:
                    measured = measure_large(
                        lint,
                        lint_markdown,
                        lang,
                        rows,
                        max(1, args.large_chars),
                        max(1, args.large_runs),
                    )
                    large.extend(measured)
                    print_large(measured)
    for path in skipped:
        print(f"\n(note: {path} not found: no held-out figure for it)")

    print(
        f"\nSummary (targets: precision >= {PRECISION_TARGET}, recall >= {RECALL_TARGET}, "
        f"each category >= {CATEGORY_RECALL_TARGET}, 20 pages < {SPEED_TARGET_MS:.0f} ms, "
        "each 1 MiB text < 1 s)"
    )
    for q in qualities:
        weakest = min(
            q.recall_by_category.items(), key=lambda item: item[1]["recall"], default=None
        )
        line = (
            f"  {SETS[q.dataset][1]:<13}{q.language}: precision {q.precision:.3f} "
            f"{verdict(q.precision >= PRECISION_TARGET)}"
            f", recall {q.recall:.3f} {verdict(q.recall >= RECALL_TARGET)}"
        )
        if weakest is not None:
            name, figures = weakest
            line += (
                f", weakest category {name} {figures['recall']:.3f} "
                f"{verdict(figures['recall'] >= CATEGORY_RECALL_TARGET)}"
            )
        for s in speeds:
            if s.language == q.language:
                line += f", p95 {s.p95_ms:.1f} ms {verdict(s.p95_ms < SPEED_TARGET_MS)}"
        slowest = max((r.max_ms for r in large if r.language == q.language), default=None)
        if slowest is not None:
            line += f", large max {slowest:.0f} ms {verdict(slowest < LARGE_CEILING_MS)}"
        print(line)
    if args.json:
        print(f"\nWrote {write_json(qualities, speeds, large)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Would a trained classifier flag blameful sentences better than the rules?

A measurement to choose the blameless-language linter's technique, not part
of Hotwash: it needs scikit-learn, a development dependency
(requirements-dev.txt), which Hotwash itself does not import. The technique
shipped (rules, and the story model of bench/train_stories.py where the
rules ask it) is measured by bench/lint_quality.py.

Techniques, per language, each deciding "blameful or not" for a sentence:

- rules: `hotwash.blameless.engine.lint(text, language, names=row names)`;
  any finding means flagged (as in bench/lint_quality.py).
- tfidf-lr: TF-IDF of word 1-2 grams and char_wb 2-5 grams, logistic
  regression with balanced class weights; flagged when P(blameful) >=
  --threshold.
- tfidf-lr-masked: the same, after masking people: the row's `names` (also
  as @mentions), any other @mention and every capitalised word that does not
  start a sentence (all-capital words such as DNS or SEV1 are kept) become
  one token, so that the model cannot learn the data set's first names.
- word-lr-masked: the same without the char n-grams (word 1-2 grams only):
  the cheaper variant, since char n-grams are most of the time to score.
- rules | clf: flagged by the rules or by the classifier (at --threshold).
- rules | clf@hi: flagged by the rules or by a confident classifier
  (P >= the high threshold): the classifier only adds what it is sure of.
- rules & clf@hi: flagged by the rules and a confident classifier: the
  classifier as a filter on the rules' findings.
- rules&lo | clf@hi2: flagged by the rules unless the classifier finds the
  sentence clearly blameless (P < low), or by a confident classifier (P >=
  high2); the pair chosen on the tuning set's cross-validated probabilities
  for the most recall at --high-precision.

The high threshold is --high if given; otherwise, per language and
classifier, the lowest one at which the classifier's cross-validated
precision on the tuning set is at least --high-precision (0.95): chosen on
the tuning set only, then used as it is on the held-out set.

Figures, per technique: on the tuning set `bench/data/blameless_<lang>.jsonl`,
5-fold cross-validated precision and recall (stratified by category; the
out-of-fold predictions of all folds pooled). The rules were written while
looking at that set, so their figure there is optimistic and is not
cross-validated. On the held-out set `bench/data/heldout_<lang>.jsonl`,
trained on the whole tuning set: precision and recall with a 95% Wilson
interval (the set is small). Recall per category (the row's `category`) for
both. The held-out set's sentences are never printed: only counts.

Speed, per classifier: the training time on the whole tuning set, the size
of the model, and the time to flag a postmortem of about 20 pages (the
60,000-character Markdown document of bench/lint_quality.py: code blanked as
the linter does, split into sentences, people masked, vectorised and
scored), p50 and p95 after a warm-up, against the 50 ms p95 ceiling; also
the rules on the same document, and the two together (what a combination
costs).

Languages are those of the files `bench/data/blameless_<lang>.jsonl` there
are (found by glob; `<lang>` a two- or three-letter code), each with its
`heldout_<lang>.jsonl` if present; rules figures only for the languages the
engine has rules for.

    .venv/bin/python bench/lint_classifier.py
    .venv/bin/python bench/lint_classifier.py --language fr --set tuning
    .venv/bin/python bench/lint_classifier.py --no-speed --high 0.9
    .venv/bin/python bench/lint_classifier.py --limit 60 --runs 3   # smoke
    .venv/bin/python bench/lint_classifier.py --json   # also bench/results/lint-classifier-<time>.json

It is a measurement: the exit status is 0 whether or not the targets are
met, and non-zero only when something fails (missing or malformed data,
scikit-learn not installed, an engine that raises).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import pickle
import platform
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import RESULTS_DIR, percentile, setup_django
from lint_quality import (
    CATEGORIES,
    DATA_DIR,
    DOCUMENT_CHARS,
    PRECISION_TARGET,
    RECALL_TARGET,
    SPEED_TARGET_MS,
    DataError,
    Row,
    build_document,
    load_rows,
    ratio,
)

SETS = {"tuning": "blameless", "heldout": "heldout"}
LANGUAGE_FILE = re.compile(r"^blameless_([a-z]{2,3})\.jsonl$")
# name -> (people masked, char n-grams as well as word ones)
CLASSIFIERS = {
    "tfidf-lr": (False, True),
    "tfidf-lr-masked": (True, True),
    "word-lr-masked": (True, False),
}
# Short column titles for the categories in the tables.
SHORT = {
    "naming": "naming",
    "human-error": "human",
    "counterfactual": "counterf",
    "judgement": "judge",
    "blame": "blame",
    "why-question": "why?",
}
# What a masked person becomes. Not the word "person" itself (lowercased by
# the vectoriser), which is a real word in English and a prefix of "personne".
PERSON = "__PERSON__"

Lint = Callable[..., list[Any]]


# --- masking and splitting ------------------------------------------------------

_MENTION = re.compile(r"(?<![\w@])@[\w.\-]*\w")
# A word that may be capitalised: a letter that is not a common lower-case
# one, then letters, digits or joined parts ("Jean-Pierre"). Only these reach
# the Python callback (the others are most words), which checks the case.
_CAPITALISED = re.compile(r"(?<!\w)[^\W\d_a-z\u00df-\u00f6\u00f8-\u00ff]\w*(?:-\w+)*")
_SENTENCE_START = re.compile(r"(?:\A|[.!?]\s+|\n)\s*[\"'(\[*_#>\-\u2013\u00ab\s]*\Z")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
_LETTER = re.compile(r"[^\W\d_]")


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)
    if not unique:
        return None
    alternation = "|".join(re.escape(n) for n in unique)
    return re.compile(rf"(?<![\w@.])(?:{alternation})(?![\w\-]|\.\w)", re.IGNORECASE)


def mask_people(text: str, names: re.Pattern[str] | None) -> str:
    """The text with people replaced by PERSON: the given names (any case,
    with or without @), other @mentions, and capitalised words that do not
    start a sentence (all-capital words, acronyms, are kept)."""
    text = _MENTION.sub(PERSON, text)
    if names is not None:
        text = names.sub(PERSON, text)

    def replace(match: re.Match[str]) -> str:
        word = match.group()
        if not word[0].isupper() or word.isupper():
            return word
        if _SENTENCE_START.search(text, max(0, match.start() - 12), match.start()):
            return word
        return PERSON

    return _CAPITALISED.sub(replace, text)


def split_sentences(text: str) -> list[str]:
    """Sentences of a (code-blanked) document: cut after . ! ? and at line
    breaks; pieces without a letter (table rules, blank code) dropped."""
    pieces = (p.strip(" \t|#-*>") for p in _SENTENCE_SPLIT.split(text))
    return [p for p in pieces if _LETTER.search(p)]


# --- classifiers -----------------------------------------------------------------


def require_sklearn() -> None:
    try:
        import sklearn
    except ImportError:
        print(
            "error: scikit-learn is not installed (.venv/bin/pip install scikit-learn)",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    print(f"scikit-learn {sklearn.__version__}")


def make_model(c: float, seed: int, chars: bool = True) -> Any:
    """TF-IDF word 1-2 grams (+ char_wb 2-5 grams), logistic regression."""
    from sklearn.feature_extraction.text import (
        TfidfVectorizer,
    )
    from sklearn.linear_model import (
        LogisticRegression,
    )
    from sklearn.pipeline import (
        make_pipeline,
        make_union,
    )

    words = TfidfVectorizer(
        analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", sublinear_tf=True
    )
    classifier = LogisticRegression(
        C=c, class_weight="balanced", max_iter=5000, solver="liblinear", random_state=seed
    )
    if not chars:
        return make_pipeline(make_union(words), classifier)
    grams = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    return make_pipeline(make_union(words, grams), classifier)


def texts_for(classifier: str, rows: Sequence[Row]) -> list[str]:
    if CLASSIFIERS[classifier][0]:
        return [mask_people(r.text, _names_pattern(r.names)) for r in rows]
    return [r.text for r in rows]


def strata(rows: Sequence[Row]) -> list[str]:
    return [r.category or "blameless" for r in rows]


def cross_validated(
    model: Any, texts: list[str], rows: Sequence[Row], folds: int, seed: int
) -> list[float]:
    """P(blameful) of every row, each from the model trained on the other folds."""
    from sklearn.model_selection import (
        StratifiedKFold,
        cross_val_predict,
    )

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    labels = [r.blameful for r in rows]
    # Folds stratified by category, so that each one has every kind of blame.
    splits = list(cv.split(texts, strata(rows)))
    probabilities = cross_val_predict(model, texts, labels, cv=splits, method="predict_proba")
    return [float(p) for p in probabilities[:, 1]]


def probabilities_of(model: Any, texts: list[str]) -> list[float]:
    return [float(p) for p in model.predict_proba(texts)[:, 1]]


# --- figures ---------------------------------------------------------------------


@dataclass
class Figures:
    technique: str
    language: str
    dataset: str
    rows: int
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    precision_95: tuple[float, float] = (0.0, 0.0)
    recall_95: tuple[float, float] = (0.0, 0.0)
    recall_by_category: dict[str, dict[str, float | int]] = field(default_factory=dict)
    note: str = ""


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion."""
    if not total:
        return (0.0, 0.0)
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def score(
    technique: str,
    language: str,
    dataset: str,
    rows: Sequence[Row],
    flagged: Sequence[bool],
    note: str = "",
) -> Figures:
    result = Figures(technique, language, dataset, len(rows), note=note)
    per_category: dict[str, list[int]] = {c: [0, 0] for c in CATEGORIES}  # [found, total]
    for row, flag in zip(rows, flagged, strict=True):
        if row.blameful:
            assert row.category is not None
            per_category[row.category][1] += 1
            per_category[row.category][0] += flag
            result.tp += flag
            result.fn += not flag
        else:
            result.fp += flag
            result.tn += not flag
    result.precision = ratio(result.tp, result.tp + result.fp)
    result.recall = ratio(result.tp, result.tp + result.fn)
    pr = result.precision + result.recall
    result.f1 = 2 * result.precision * result.recall / pr if pr else 0.0
    result.precision_95 = wilson(result.tp, result.tp + result.fp)
    result.recall_95 = wilson(result.tp, result.tp + result.fn)
    result.recall_by_category = {
        c: {"found": found, "total": total, "recall": ratio(found, total)}
        for c, (found, total) in per_category.items()
        if total
    }
    return result


def rules_flags(lint: Lint, language: str, rows: Sequence[Row]) -> list[bool]:
    return [bool(lint(r.text, language, names=r.names)) for r in rows]


def high_threshold(probabilities: Sequence[float], rows: Sequence[Row], precision: float) -> float:
    """The lowest threshold at which the flags are at least `precision`
    precise (the most recall for that precision); 1.0 if none is."""
    ranked = sorted(zip(probabilities, (r.blameful for r in rows), strict=True), reverse=True)
    best = 1.0
    tp = fp = 0
    for index, (probability, blameful) in enumerate(ranked):
        tp += blameful
        fp += not blameful
        # A threshold keeps every row of its probability: ties are judged together.
        tied = index + 1 < len(ranked) and ranked[index + 1][0] == probability
        if not tied and tp / (tp + fp) >= precision:
            best = probability
    return best


# The grid of (low, high) thresholds tried for the stacked combination.
_LOWS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
_HIGHS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99, 1.01)


def stacked(rules: Sequence[bool], probs: Sequence[float], low: float, high: float) -> list[bool]:
    """Flagged by the rules unless the classifier finds the sentence
    clearly blameless (P < low), or by a confident classifier (P >= high)."""
    return [(r and p >= low) or p >= high for r, p in zip(rules, probs, strict=True)]


def stacked_thresholds(
    rules: Sequence[bool], probs: Sequence[float], rows: Sequence[Row], precision: float
) -> tuple[float, float]:
    """The (low, high) pair with the most recall whose precision reaches
    `precision` on these rows (the tuning set's cross-validated
    probabilities); (0, 1.01), the rules alone, if none does."""
    truth = [r.blameful for r in rows]
    best, chosen = -1.0, (0.0, 1.01)
    for low in _LOWS:
        for high in _HIGHS:
            flags = stacked(rules, probs, low, high)
            tp = sum(f and t for f, t in zip(flags, truth, strict=True))
            fp = sum(f and not t for f, t in zip(flags, truth, strict=True))
            recall = tp / max(1, sum(truth))
            if tp + fp and tp / (tp + fp) >= precision and recall > best:
                best, chosen = recall, (low, high)
    return chosen


def combinations(
    rules: Sequence[bool] | None,
    probabilities: dict[str, list[float]],
    threshold: float,
    highs: dict[str, float],
    stacks: dict[str, tuple[float, float]] | None = None,
) -> list[tuple[str, list[bool]]]:
    """Every technique's flags, from the rules' flags and the classifiers'
    probabilities."""
    techniques: list[tuple[str, list[bool]]] = []
    if rules is not None:
        techniques.append(("rules", list(rules)))
    for name, probs in probabilities.items():
        techniques.append((name, [p >= threshold for p in probs]))
    if rules is None:
        return techniques
    for name, probs in probabilities.items():
        high = highs[name]
        techniques.append(
            (f"rules | {name}", [r or p >= threshold for r, p in zip(rules, probs, strict=True)])
        )
        techniques.append(
            (f"rules | {name}@hi", [r or p >= high for r, p in zip(rules, probs, strict=True)])
        )
        techniques.append(
            (f"rules & {name}@hi", [r and p >= high for r, p in zip(rules, probs, strict=True)])
        )
        if stacks and name in stacks:
            low, top = stacks[name]
            techniques.append((f"rules&lo | {name}@hi2", stacked(rules, probs, low, top)))
    return techniques


# --- speed -----------------------------------------------------------------------


@dataclass
class Speed:
    technique: str
    language: str
    chars: int
    sentences: int
    flagged: int
    runs: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    # Processor time: on a busy machine the wall-clock time also counts
    # waiting for a core.
    cpu_p50_ms: float
    cpu_p95_ms: float
    train_s: float = 0.0
    model_kib: float = 0.0
    features: int = 0


def timed(work: Callable[[], int], runs: int, warmup: int) -> tuple[list[float], list[float], int]:
    """Milliseconds of each timed run, wall-clock and processor, and what the
    last run returned."""
    result = 0
    for _ in range(warmup):
        result = work()
    timings: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = work()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return timings, cpu, result


def measure_speed(
    lint: Lint | None,
    blank_code: Callable[[str], str],
    language: str,
    rows: Sequence[Row],
    models: dict[str, tuple[Any, float]],
    threshold: float,
    runs: int,
    warmup: int,
) -> list[Speed]:
    """Time to flag the 20-page document: each classifier, the rules, and
    the rules and each classifier together."""
    document = build_document(language, rows, DOCUMENT_CHARS)
    names = sorted({n for r in rows for n in r.names})
    pattern = _names_pattern(names)
    sentences = split_sentences(blank_code(document))
    results: list[Speed] = []

    def classify(name: str, model: Any) -> int:
        found = split_sentences(blank_code(document))
        if CLASSIFIERS[name][0]:
            found = [mask_people(s, pattern) for s in found]
        return sum(p >= threshold for p in probabilities_of(model, found))

    def speed(technique: str, timings: list[float], cpu: list[float], flagged: int) -> Speed:
        return Speed(
            technique=technique,
            language=language,
            chars=len(document),
            sentences=len(sentences),
            flagged=flagged,
            runs=len(timings),
            p50_ms=percentile(timings, 50),
            p95_ms=percentile(timings, 95),
            max_ms=max(timings),
            cpu_p50_ms=percentile(cpu, 50),
            cpu_p95_ms=percentile(cpu, 95),
        )

    for name, (model, train_s) in models.items():
        timings, cpu, flagged = timed(functools.partial(classify, name, model), runs, warmup)
        result = speed(name, timings, cpu, flagged)
        result.train_s = train_s
        result.model_kib = len(pickle.dumps(model)) / 1024
        union = model.steps[0][1]
        result.features = sum(len(t.vocabulary_) for _, t in union.transformer_list)
        results.append(result)
    if lint is not None:
        timings, cpu, flagged = timed(
            lambda: len(lint(document, language, names=names)), runs, warmup
        )
        results.append(speed("rules (findings)", timings, cpu, flagged))
        for name, (model, _) in models.items():

            def both(name: str = name, model: Any = model) -> int:
                lint(document, language, names=names)
                return classify(name, model)

            timings, cpu, flagged = timed(both, runs, warmup)
            results.append(speed(f"rules + {name}", timings, cpu, flagged))
    return results


# --- output ----------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_table(title: str, figures: Sequence[Figures]) -> None:
    if not figures:
        return
    first = figures[0]
    blameful = first.tp + first.fn
    print(f"\n  {title}: {first.rows} sentences, {blameful} blameful")
    categories = [c for c in CATEGORIES if c in first.recall_by_category]
    header = f"    {'technique':<28}{'P':>6}{'R':>7}{'F1':>7}  {'FP':>3} {'FN':>3} "
    header += "".join(f"{SHORT.get(c, c[:8]):>9}" for c in categories)
    print(header)
    totals = "".join(f"{'n=' + str(first.recall_by_category[c]['total']):>9}" for c in categories)
    print(f"    {'(recall per category)':<59}{totals}")
    for f in figures:
        line = (
            f"    {f.technique:<28}{f.precision:>6.3f}{f.recall:>7.3f}{f.f1:>7.3f}  "
            f"{f.fp:>3} {f.fn:>3} "
        )
        line += "".join(f"{float(f.recall_by_category[c]['recall']):>9.3f}" for c in categories)
        print(line)
    if first.dataset == "heldout":
        print("    95% Wilson intervals (precision; recall):")
        for f in figures:
            (pl, ph), (rl, rh) = f.precision_95, f.recall_95
            print(f"      {f.technique:<28}P [{pl:.2f}, {ph:.2f}]  R [{rl:.2f}, {rh:.2f}]")
    for f in figures:
        if f.note:
            print(f"    note: {f.technique}: {f.note}")


def print_speed(speeds: Sequence[Speed]) -> None:
    if not speeds:
        return
    first = speeds[0]
    print(
        f"\n  speed: a {first.chars:,}-character postmortem ({first.sentences} sentences), "
        f"{first.runs} runs (wall-clock; processor time in brackets, p50 / p95), "
        f"ceiling p95 < {SPEED_TARGET_MS:.0f} ms"
    )
    for s in speeds:
        extra = ""
        if s.features:
            extra = (
                f"   (training {s.train_s:.2f} s, {s.features:,} features, "
                f"model {s.model_kib:,.0f} KiB)"
            )
        print(
            f"    {s.technique:<26} p50 {s.p50_ms:>6.1f} ms  p95 {s.p95_ms:>6.1f} ms  "
            f"(cpu {s.cpu_p50_ms:>6.1f} / {s.cpu_p95_ms:>6.1f})  flagged {s.flagged:>4}  "
            f"{verdict(s.p95_ms < SPEED_TARGET_MS)}{extra}"
        )


def write_json(
    figures: list[Figures],
    speeds: list[Speed],
    highs: dict[str, dict[str, float]],
    args: argparse.Namespace,
) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"lint-classifier-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    payload = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "settings": {
            "folds": args.folds,
            "seed": args.seed,
            "C": args.c,
            "threshold": args.threshold,
            "high": args.high,
            "high_precision": args.high_precision,
            "high_thresholds": highs,
        },
        "targets": {
            "precision": PRECISION_TARGET,
            "recall": RECALL_TARGET,
            "speed_p95_ms": SPEED_TARGET_MS,
        },
        "quality": [asdict(f) for f in figures],
        "speed": [asdict(s) for s in speeds],
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


# --- main ------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", default="all", help="a language code, or all (default)")
    parser.add_argument(
        "--set",
        dest="dataset",
        choices=[*SETS, "both"],
        default="both",
        help="tuning (cross-validated), heldout or both",
    )
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    parser.add_argument("--seed", type=int, default=0, help="for the folds' shuffle")
    parser.add_argument(
        "--c", type=float, default=10.0, help="logistic regression's C (inverse regularisation)"
    )
    parser.add_argument(
        "--threshold", type=float, default=0.5, help="P(blameful) from which a sentence is flagged"
    )
    parser.add_argument(
        "--high",
        type=float,
        default=None,
        help="the confident threshold of the @hi combinations (default: from --high-precision)",
    )
    parser.add_argument(
        "--high-precision",
        type=float,
        default=0.95,
        help="without --high, the @hi threshold is the lowest with this cross-validated precision",
    )
    parser.add_argument("--no-speed", action="store_true", help="skip training and speed timings")
    parser.add_argument("--runs", type=int, default=30, help="timed runs of the long document")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    parser.add_argument(
        "--limit", type=int, default=0, help="use only the first N rows of each label (smoke)"
    )
    parser.add_argument("--json", action="store_true", help="also write bench/results/*.json")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DATA_DIR,
        help="where blameless_<lang>.jsonl and heldout_<lang>.jsonl are",
    )
    return parser.parse_args(argv)


def languages_in(data_dir: Path) -> list[str]:
    """The languages that have a tuning file, blameless_<lang>.jsonl."""
    found = (LANGUAGE_FILE.match(p.name) for p in data_dir.glob("blameless_*.jsonl"))
    return sorted(m.group(1) for m in found if m)


def subset(rows: list[Row], limit: int) -> list[Row]:
    if limit <= 0:
        return rows
    return [r for r in rows if r.blameful][:limit] + [r for r in rows if not r.blameful][:limit]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    available = languages_in(args.data_dir)
    languages = available if args.language == "all" else [args.language]
    if not languages or any(lang not in available for lang in languages):
        print(
            f"error: no blameless_<lang>.jsonl for {args.language} in {args.data_dir}",
            file=sys.stderr,
        )
        return 2
    datasets = list(SETS) if args.dataset == "both" else [args.dataset]
    data: dict[tuple[str, str], list[Row]] = {}
    skipped: list[Path] = []
    try:
        for lang in languages:
            for dataset in dict.fromkeys(("tuning", *datasets)):
                path = args.data_dir / f"{SETS[dataset]}_{lang}.jsonl"
                if dataset == "heldout" and not path.exists():
                    skipped.append(path)
                    continue
                data[dataset, lang] = subset(load_rows(path), args.limit)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    require_sklearn()
    setup_django()
    from hotwash.blameless import engine

    high = f"{args.high}" if args.high is not None else f"at CV precision {args.high_precision}"
    print(
        f"Blameless-language linter: rules against trained classifiers "
        f"(C={args.c}, threshold {args.threshold}, high {high}, {args.folds}-fold CV)"
    )
    all_figures: list[Figures] = []
    all_speeds: list[Speed] = []
    all_highs: dict[str, dict[str, float]] = {}
    for lang in languages:
        tuning = data["tuning", lang]
        lint: Lint | None = engine.lint if lang in engine.LANGUAGES else None
        print(f"\n===== {lang} =====")
        if lint is None:
            print(f"  (the engine has no rules for {lang}: classifiers only)")
        # Cross-validated even when only the held-out figures are asked for:
        # the high thresholds are chosen on it.
        started = time.perf_counter()
        probabilities = {
            name: cross_validated(
                make_model(args.c, args.seed, CLASSIFIERS[name][1]),
                texts_for(name, tuning),
                tuning,
                args.folds,
                args.seed,
            )
            for name in CLASSIFIERS
        }
        cv_seconds = time.perf_counter() - started
        highs = {
            name: args.high
            if args.high is not None
            else high_threshold(probs, tuning, args.high_precision)
            for name, probs in probabilities.items()
        }
        all_highs[lang] = highs
        print("  high thresholds: " + ", ".join(f"{n} {t:.3f}" for n, t in highs.items()))
        tuning_rules = rules_flags(lint, lang, tuning) if lint is not None else None
        stacks = (
            {
                name: stacked_thresholds(tuning_rules, probs, tuning, args.high_precision)
                for name, probs in probabilities.items()
            }
            if tuning_rules is not None
            else {}
        )
        if stacks:
            print(
                "  stacked (low, high): "
                + ", ".join(f"{n} {lo:.2f}/{hi:.2f}" for n, (lo, hi) in stacks.items())
            )
        if "tuning" in datasets:
            rules = tuning_rules
            figures = [
                score(
                    name,
                    lang,
                    "tuning",
                    tuning,
                    flags,
                    "the rules are not cross-validated: written while looking at this set"
                    if name == "rules"
                    else "",
                )
                for name, flags in combinations(rules, probabilities, args.threshold, highs, stacks)
            ]
            all_figures.extend(figures)
            print_table(
                f"tuning set, {args.folds}-fold cross-validated ({cv_seconds:.1f} s)", figures
            )
        models: dict[str, tuple[Any, float]] = {}
        for name in CLASSIFIERS:
            model = make_model(args.c, args.seed, CLASSIFIERS[name][1])
            started = time.perf_counter()
            model.fit(texts_for(name, tuning), [r.blameful for r in tuning])
            models[name] = (model, time.perf_counter() - started)
        if ("heldout", lang) in data:
            heldout = data["heldout", lang]
            probabilities = {
                name: probabilities_of(model, texts_for(name, heldout))
                for name, (model, _) in models.items()
            }
            rules = rules_flags(lint, lang, heldout) if lint is not None else None
            figures = [
                score(name, lang, "heldout", heldout, flags)
                for name, flags in combinations(rules, probabilities, args.threshold, highs, stacks)
            ]
            all_figures.extend(figures)
            # Only figures: the held-out sentences are never printed.
            print_table("held-out set, trained on the whole tuning set", figures)
        if not args.no_speed:
            speeds = measure_speed(
                lint,
                engine.blank_code,
                lang,
                tuning,
                models,
                args.threshold,
                max(1, args.runs),
                args.warmup,
            )
            all_speeds.extend(speeds)
            print_speed(speeds)
    for path in skipped:
        print(f"\n(note: {path} not found: no held-out figure for it)")
    print(
        f"\nSummary (targets: precision >= {PRECISION_TARGET}, recall >= {RECALL_TARGET}, "
        f"20 pages p95 < {SPEED_TARGET_MS:.0f} ms)"
    )
    for f in all_figures:
        line = (
            f"  {f.dataset:<8}{f.language:<4}{f.technique:<28}"
            f"P {f.precision:.3f} {verdict(f.precision >= PRECISION_TARGET):<7}"
            f"R {f.recall:.3f} {verdict(f.recall >= RECALL_TARGET)}"
        )
        print(line)
    for s in all_speeds:
        print(
            f"  speed   {s.language:<4}{s.technique:<28}p95 {s.p95_ms:.1f} ms "
            f"{verdict(s.p95_ms < SPEED_TARGET_MS)} (cpu p95 {s.cpu_p95_ms:.1f} ms)"
        )
    if args.json:
        print(f"\nWrote {write_json(all_figures, all_speeds, all_highs, args)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Train the blameless assistant's story model and choose its thresholds.

The story model (src/hotwash/blameless/stories.py) decides, for the agent
rules with `model: true`, whether a sentence in which a person or a role
acts tells a harm. This script trains it on the labelled tuning corpus
(bench/data/blameless_<language>.jsonl, never the held-out set): the
sentences in which a person or a role acts as the rules read them
(engine.story_agents), whether or not the rules' words tell a harm, with a
logistic regression (scikit-learn, class weights balanced) over TF-IDF
weighted words and word pairs. The linter reads the model at two
thresholds: one where the sentence tells more than the act, a stricter one
where the act's own words are all there is. The pair is chosen on the
validation set (bench/data/validation_<language>.jsonl: sentences by other
authors, which neither the rules nor the model were made from, and which
rule authors do not read either): the pair with the most recall whose
additions to the rules' flags are at least as precise as the rules' own
flags there (or as PRECISION_TARGET, if the rules do better). On the
tuning set the rules were written against, their precision is optimistic
and would leave the model room for false alarms that elsewhere nothing
makes up for. It prints the tuning set's 5-fold cross-validated table and
the validation set's, and writes the model as plain data to
src/hotwash/blameless/models/stories-<language>.json (with the SHA-256 of
the corpora it learned from and was tuned on: a test checks that the
shipped model matches the corpora in the repository).

    .venv/bin/python bench/train_stories.py            # both languages, writes the models
    .venv/bin/python bench/train_stories.py --dry-run  # figures only

scikit-learn is a development dependency (requirements-dev.txt): Hotwash
itself reads the JSON and needs no library to score.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from _common import BENCH_DIR, setup_django

DATA_DIR = BENCH_DIR / "data"
LANGUAGES = ("en", "fr")
PRECISION_TARGET = 0.95
THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
# A threshold no probability reaches: the model is never asked there.
NEVER = 1.01
# Fewer additions than this on the validation set say nothing of their
# precision: such a pair is not chosen.
MIN_ADDED = 5
FOLDS = 5
# Inverse regularisation strength: measured on the tuning set's folds
# (1, 4 and 10 gave the same choice within a point of recall).
C = 4.0


@dataclass
class Row:
    text: str
    names: list[str]
    blameful: bool
    acting: bool = False  # whether a person or a role acts in it (trained on)
    asked: bool = False  # whether the rules ask the model about a story beyond the act
    asked_act: bool = False  # whether they ask it about an act's own words only
    flagged: bool = False  # whether the rules flag it with no model


def corpus_path(language: str) -> Path:
    return DATA_DIR / f"blameless_{language}.jsonl"


def corpus_digest(language: str) -> str:
    return digest(corpus_path(language))


def validation_path(language: str) -> Path:
    return DATA_DIR / f"validation_{language}.jsonl"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(path: Path, language: str) -> list[Row]:
    from hotwash.blameless.engine import _lint, _never_harm, story_agents

    rows: list[Row] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        names = list(item.get("names") or [])
        row = Row(item["text"], names, bool(item["blameful"]))
        row.acting, row.asked, row.asked_act = story_agents(row.text, language, names=names)
        # The rules alone, without the model.
        row.flagged = bool(_lint(row.text, language, names=names, judge=_never_harm))
        rows.append(row)
    return rows


def new_vectorizer() -> TfidfVectorizer:
    # The same terms and weights as hotwash.blameless.stories computes.
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)


def fit(texts: Sequence[str], labels: Sequence[bool]) -> tuple[TfidfVectorizer, LogisticRegression]:
    vectorizer = new_vectorizer()
    matrix = vectorizer.fit_transform(texts)
    classifier = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
    classifier.fit(matrix, np.array(labels))
    return vectorizer, classifier


def cross_validated(rows: Sequence[Row]) -> np.ndarray:
    """Each acting row's probability from a model that never saw it."""
    asked = [i for i, row in enumerate(rows) if row.acting]
    texts = [rows[i].text for i in asked]
    labels = np.array([rows[i].blameful for i in asked])
    probabilities = np.zeros(len(rows))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    for train, test in folds.split(texts, labels):
        vectorizer, classifier = fit([texts[i] for i in train], labels[train])
        scores = classifier.predict_proba(vectorizer.transform([texts[i] for i in test]))[:, 1]
        for position, score in zip(test, scores, strict=True):
            probabilities[asked[position]] = score
    return probabilities


def figures(
    rows: Sequence[Row], probabilities: np.ndarray, threshold: float, act_threshold: float
) -> tuple[float, float, float, int]:
    """The precision and recall of the rules with the model at these
    thresholds, and the precision and number of what the model adds."""
    truth = np.array([row.blameful for row in rows])
    rules = np.array([row.flagged for row in rows])
    asked = np.array([row.asked for row in rows])
    asked_act = np.array([row.asked_act for row in rows])
    added = ~rules & (
        (asked & (probabilities >= threshold)) | (asked_act & (probabilities >= act_threshold))
    )
    flagged = rules | added
    tp = int((flagged & truth).sum())
    fp = int((flagged & ~truth).sum())
    fn = int((~flagged & truth).sum())
    added_tp = int((added & truth).sum())
    return (
        tp / max(1, tp + fp),
        tp / max(1, tp + fn),
        added_tp / max(1, int(added.sum())),
        int(added.sum()),
    )


def pairs() -> list[tuple[float, float]]:
    """Every (story, act) pair of thresholds, the act's never the lower."""
    return [
        (threshold, act)
        for threshold in (*THRESHOLDS, NEVER)
        for act in (*(t for t in THRESHOLDS if t >= threshold), NEVER)
    ]


def choose(rows: Sequence[Row], probabilities: np.ndarray) -> tuple[float, float]:
    """On the validation rows: the pair with the most recall whose additions
    to the rules' flags are at least as precise as the rules' own flags
    there (or as PRECISION_TARGET, if the rules do better): the model adds
    recall without lowering the assistant's precision on writing that
    neither the rules nor the model were made from. The higher thresholds
    on a tie; (NEVER, NEVER) if no pair adds MIN_ADDED findings so."""
    rules_precision, _, _, _ = figures(rows, probabilities, NEVER, NEVER)
    floor = min(PRECISION_TARGET, rules_precision)
    chosen, best = (NEVER, NEVER), -1.0
    for threshold, act in pairs():
        _, recall, added_precision, added = figures(rows, probabilities, threshold, act)
        if added >= MIN_ADDED and added_precision >= floor and recall >= best:
            chosen, best = (threshold, act), recall
    return chosen


def print_table(
    title: str, rows: Sequence[Row], probabilities: np.ndarray, chosen: tuple[float, float]
) -> None:
    print(f"  {title}")
    print(
        f"  {'story':>5}  {'act':>5}  {'precision':>9}  {'recall':>6}"
        f"  {'added':>5}  {'of which right':>14}"
    )
    precision, recall, _, _ = figures(rows, probabilities, NEVER, NEVER)
    print(f"  {'rules':>12}  {precision:9.3f}  {recall:6.3f}")
    for threshold, act in sorted({(t, NEVER) for t in THRESHOLDS} | {chosen}):
        precision, recall, added_precision, added = figures(rows, probabilities, threshold, act)
        mark = "  <- chosen" if (threshold, act) == chosen else ""
        shown = "never" if act == NEVER else f"{act:.2f}"
        print(
            f"  {threshold:5.2f}  {shown:>5}  {precision:9.3f}  {recall:6.3f}"
            f"  {added:5d}  {added_precision:14.3f}{mark}"
        )


def probabilities_of(
    vectorizer: TfidfVectorizer, classifier: LogisticRegression, rows: Sequence[Row]
) -> np.ndarray:
    probabilities = np.zeros(len(rows))
    acting = [i for i, row in enumerate(rows) if row.acting]
    if acting:
        matrix = vectorizer.transform([rows[i].text for i in acting])
        for index, score in zip(acting, classifier.predict_proba(matrix)[:, 1], strict=True):
            probabilities[index] = score
    return probabilities


def export(
    language: str,
    vectorizer: TfidfVectorizer,
    classifier: LogisticRegression,
    thresholds: tuple[float, float],
) -> dict[str, Any]:
    weights = classifier.coef_[0]
    terms = {
        term: [round(float(vectorizer.idf_[index]), 6), round(float(weights[index]), 6)]
        for term, index in sorted(vectorizer.vocabulary_.items())
    }
    return {
        "language": language,
        "threshold": thresholds[0],
        "act_threshold": thresholds[1],
        "intercept": round(float(classifier.intercept_[0]), 6),
        "terms": terms,
        "trained_on": {"corpus": corpus_path(language).name, "sha256": corpus_digest(language)},
        "thresholds_chosen_on": {
            "corpus": validation_path(language).name,
            "sha256": digest(validation_path(language)),
        },
    }


def train(language: str, dry_run: bool) -> None:
    from hotwash.blameless.stories import model_path

    rows = load(corpus_path(language), language)
    acting = [row for row in rows if row.acting]
    print(
        f"== {language}: {len(rows)} sentences; a person or a role acts in {len(acting)}"
        f" ({sum(row.blameful for row in acting)} blameful), trained on;"
        f" the model is asked about {sum(row.asked for row in rows)} stories and"
        f" {sum(row.asked_act for row in rows)} acts alone =="
    )
    vectorizer, classifier = fit([row.text for row in acting], [row.blameful for row in acting])
    validation = load(validation_path(language), language)
    scored = probabilities_of(vectorizer, classifier, validation)
    thresholds = choose(validation, scored)
    print_table(
        "tuning set, 5-fold cross-validation (the rules were written on it):",
        rows,
        cross_validated(rows),
        thresholds,
    )
    print_table(
        f"validation set ({len(validation)} sentences; the thresholds are chosen here):",
        validation,
        scored,
        thresholds,
    )
    model = export(language, vectorizer, classifier, thresholds)
    print(f"  thresholds {thresholds}, {len(model['terms'])} terms")
    if not dry_run:
        path = model_path(language)
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(model, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        print(f"  wrote {path}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", choices=LANGUAGES, action="append")
    parser.add_argument("--dry-run", action="store_true", help="print the figures only")
    args = parser.parse_args(argv)
    setup_django()
    for language in args.language or LANGUAGES:
        train(language, args.dry_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Train the blameless assistant's story model and choose its threshold.

The story model (src/hotwash/blameless/stories.py) decides, for the agent
rules with `model: true`, whether a sentence in which a person or a role
acts tells a harm. This script trains it on the labelled tuning corpus
(bench/data/blameless_<language>.jsonl, never the held-out set): the
sentences in which a person or a role acts as the rules read them
(engine.story_agents), whether or not the rules' words tell a harm, with a
logistic regression (scikit-learn, class weights balanced) over TF-IDF
weighted words and word pairs. It prints, per threshold, the precision and
recall that 5-fold cross-validation gives for the whole linter (rules, and
the model where they ask it) on the whole tuning set, chooses the lowest
threshold whose cross-validated precision reaches PRECISION_TARGET, and
writes the model as plain data to src/hotwash/blameless/models/stories-<language>.json
(with the SHA-256 of the corpus it learned from: a test checks that the
shipped model was trained on the corpus in the repository).

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
THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
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
    asked: bool = False  # whether the rules ask the model about it
    flagged: bool = False  # whether the rules flag it with no model


def corpus_path(language: str) -> Path:
    return DATA_DIR / f"blameless_{language}.jsonl"


def corpus_digest(language: str) -> str:
    return hashlib.sha256(corpus_path(language).read_bytes()).hexdigest()


def load(language: str) -> list[Row]:
    from hotwash.blameless.engine import _lint, _never_harm, story_agents

    rows: list[Row] = []
    for line in corpus_path(language).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        names = list(item.get("names") or [])
        row = Row(item["text"], names, bool(item["blameful"]))
        row.acting, row.asked = story_agents(row.text, language, names=names)
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
    rows: Sequence[Row], probabilities: np.ndarray, threshold: float
) -> tuple[float, float]:
    truth = np.array([row.blameful for row in rows])
    asked = np.array([row.asked for row in rows])
    flagged = np.array([row.flagged for row in rows]) | (asked & (probabilities >= threshold))
    tp = int((flagged & truth).sum())
    fp = int((flagged & ~truth).sum())
    fn = int((~flagged & truth).sum())
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def choose(rows: Sequence[Row], probabilities: np.ndarray) -> float:
    print(f"  {'threshold':>9}  {'precision':>9}  {'recall':>6}   (5-fold cross-validation)")
    precision, recall = figures(rows, probabilities, 2.0)
    print(f"  {'rules':>9}  {precision:9.3f}  {recall:6.3f}")
    chosen = THRESHOLDS[-1]
    for threshold in THRESHOLDS:
        precision, recall = figures(rows, probabilities, threshold)
        mark = ""
        if precision >= PRECISION_TARGET and threshold < chosen:
            chosen = threshold
            mark = "  <- lowest with precision >= target"
        print(f"  {threshold:9.2f}  {precision:9.3f}  {recall:6.3f}{mark}")
    return chosen


def export(
    language: str, vectorizer: TfidfVectorizer, classifier: LogisticRegression, threshold: float
) -> dict[str, Any]:
    weights = classifier.coef_[0]
    terms = {
        term: [round(float(vectorizer.idf_[index]), 6), round(float(weights[index]), 6)]
        for term, index in sorted(vectorizer.vocabulary_.items())
    }
    return {
        "language": language,
        "threshold": threshold,
        "intercept": round(float(classifier.intercept_[0]), 6),
        "terms": terms,
        "trained_on": {"corpus": corpus_path(language).name, "sha256": corpus_digest(language)},
    }


def train(language: str, dry_run: bool) -> None:
    from hotwash.blameless.stories import model_path

    rows = load(language)
    acting = [row for row in rows if row.acting]
    print(
        f"== {language}: {len(rows)} sentences; a person or a role acts in {len(acting)}"
        f" ({sum(row.blameful for row in acting)} blameful), trained on;"
        f" the model is asked about {sum(row.asked for row in rows)} =="
    )
    threshold = choose(rows, cross_validated(rows))
    vectorizer, classifier = fit([row.text for row in acting], [row.blameful for row in acting])
    model = export(language, vectorizer, classifier, threshold)
    print(f"  threshold {threshold}, {len(model['terms'])} terms")
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

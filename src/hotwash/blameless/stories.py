"""The story model: does a sentence in which a person or a role acts tell a
harm?

The agent rules find who acts and what they did (the rule files' `after`
and `before`); whether the act did harm is told in too many ways for a word
list ("half the EU traffic went to a drained region", "les relevés partent
vides"). A rule with `model: true` asks this model when its `consequence`
words are not in the sentence. It is a logistic regression over TF-IDF
weighted words and word pairs, trained by `bench/train_stories.py` on the
sentences of the labelled tuning corpus in which an agent acts, and shipped
as plain data (`models/stories-<language>.json`: each term's inverse document
frequency and weight, the intercept, and two thresholds chosen on a
validation set: one for a story told beyond the act, one never lower for
an act whose own words are all there is). Scoring is a few dictionary
lookups per word, in pure Python: no library and no download at run time,
linear in the text's length.

The same arithmetic as scikit-learn's TfidfVectorizer(ngram_range=(1, 2),
sublinear_tf=True) and LogisticRegression: terms are the lowercased words of
two letters or more and the pairs of neighbouring words; a term's weight is
(1 + ln count) * idf, the vector is scaled to unit length, and the
probability is the logistic of its dot product with the weights plus the
intercept. The words that weigh most towards harm are the finding's evidence.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hotwash.envconfig import ConfigurationError

MODELS_DIR = Path(__file__).with_name("models")
# scikit-learn's default token pattern: words of two characters or more.
_TOKEN = re.compile(r"\b\w\w+\b")
# How many words a finding names as its evidence.
EVIDENCE_WORDS = 3


@dataclass(frozen=True)
class Verdict:
    probability: float
    # Whether the story, told beyond the act, reads as harm (the threshold).
    harm: bool
    # Whether the act's own words read as harm, with nothing told beyond
    # them ("Le stagiaire a poussé la clé de prod dans le dépôt public"):
    # a threshold never lower, for the model then reads fewer words.
    act_harm: bool = False
    # The known terms of the text and how often each occurs, and the
    # model's weights: what `evidence` is worked out from, only for the
    # few verdicts a finding quotes.
    counts: Mapping[str, int] = field(default_factory=dict, repr=False)
    terms: Mapping[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def evidence(self) -> tuple[str, ...]:
        """The terms that weigh most towards harm, heaviest first (scaling
        by the vector's length changes no term's rank)."""
        pulls = []
        for term, count in self.counts.items():
            idf, weight = self.terms[term]
            if weight > 0:
                pulls.append(((1.0 + math.log(count)) * idf * weight, term))
        pulls.sort(reverse=True)
        return tuple(term for _, term in pulls[:EVIDENCE_WORDS])


def _words_of(text: str) -> list[str]:
    """The words a model reads: scikit-learn's tokens, lowercased."""
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Scorer:
    """A logistic regression over TF-IDF weighted words and word pairs,
    scored as scikit-learn does, from each term's inverse document frequency
    and weight."""

    # term -> (inverse document frequency, weight)
    terms: dict[str, tuple[float, float]]
    intercept: float
    # term -> (idf * weight, idf squared): a term seen once, as most are,
    # adds these to the dot product and the squared length.
    pulls: dict[str, tuple[float, float]] = field(init=False, repr=False)
    # The first words of the word pairs it knows: a pair is looked up only
    # after one of them (most words are not).
    pair_starts: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pulls = {term: (idf * weight, idf * idf) for term, (idf, weight) in self.terms.items()}
        starts = frozenset(term.split(" ", 1)[0] for term in self.terms if " " in term)
        object.__setattr__(self, "pulls", pulls)
        object.__setattr__(self, "pair_starts", starts)

    def counts(self, words: list[str]) -> dict[str, int]:
        """How often each known term occurs: a plain loop over the words,
        with no intermediate lists (the linter asks this of many sentences)."""
        terms = self.pulls
        starts = self.pair_starts
        counts: dict[str, int] = {}
        for word in words:
            if word in terms:
                counts[word] = counts.get(word, 0) + 1
        for first, second in itertools.pairwise(words):
            if first in starts and (pair := f"{first} {second}") in terms:
                counts[pair] = counts.get(pair, 0) + 1
        return counts

    def probability(self, counts: Mapping[str, int]) -> float:
        """The logistic of the weights' dot product with the unit-length
        TF-IDF vector ((1 + ln count) * idf per known term) plus the
        intercept: only the terms the model knows count, in the norm as in
        the score."""
        dot = squares = 0.0
        pulls = self.pulls
        for term, count in counts.items():
            pull, square = pulls[term]
            if count == 1:
                dot += pull
                squares += square
            else:
                tf = 1.0 + math.log(count)
                dot += tf * pull
                squares += tf * tf * square
        return logistic(self.intercept + (dot / math.sqrt(squares) if squares else 0.0))


def logistic(score: float) -> float:
    return 1.0 / (1.0 + math.exp(-score))


@dataclass(frozen=True)
class StoryModel:
    language: str
    scorer: Scorer
    threshold: float
    act_threshold: float

    def judge(self, text: str) -> Verdict:
        counts = self.scorer.counts(_words_of(text))
        probability = self.scorer.probability(counts)
        return Verdict(
            probability,
            probability >= self.threshold,
            probability >= self.act_threshold,
            counts,
            self.scorer.terms,
        )


def model_path(language: str) -> Path:
    return MODELS_DIR / f"stories-{language}.json"


@functools.cache
def story_model(language: str) -> StoryModel:
    """The shipped model for a language, read once per process."""
    path = model_path(language)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        terms = {term: (float(idf), float(weight)) for term, (idf, weight) in data["terms"].items()}
        return StoryModel(
            language=language,
            scorer=Scorer(terms, float(data["intercept"])),
            threshold=float(data["threshold"]),
            act_threshold=float(data["act_threshold"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            f"The blameless story model {path} cannot be read: {exc}"
        ) from None

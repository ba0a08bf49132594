"""The story model: scored in pure Python exactly as scikit-learn trained
it, shipped for the corpus in the repository, and asked only where the rules
leave the harm untold."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from pytest_django import Settings

from hotwash.blameless.engine import lint, ruleset, story_agents
from hotwash.blameless.stories import Scorer, StoryModel, model_path, story_model

# Touches no database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = pytest.mark.database_independent

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import train_stories  # noqa: E402  (a bench script, found on the path above)


def test_scoring_matches_scikit_learn_term_for_term() -> None:
    texts = [
        "Ben changed the batch size and the queue overflowed for an hour.",
        "Ines scaled the pool back to ten workers.",
        "The intern ran the script and every customer lost their cart.",
        "Amira took command and paged the database team.",
        "Ana pushed the config; checkout returned errors for twenty minutes.",
        "Kofi restored the backup in twelve minutes.",
    ]
    labels = [True, False, True, False, True, False]
    vectorizer, classifier = train_stories.fit(texts, labels)
    data = train_stories.export("en", vectorizer, classifier, (0.5, 0.8))
    model = StoryModel(
        language="en",
        scorer=Scorer(
            {term: (idf, weight) for term, (idf, weight) in data["terms"].items()},
            data["intercept"],
        ),
        threshold=data["threshold"],
        act_threshold=data["act_threshold"],
    )
    probes = [*texts, "Nadia's migration locked the orders table.", "Nothing in common here."]
    expected = classifier.predict_proba(vectorizer.transform(probes))[:, 1]
    for text, probability in zip(probes, expected, strict=True):
        # The exported weights are rounded to six decimals.
        verdict = model.judge(text)
        assert verdict.probability == pytest.approx(probability, abs=1e-4)
        assert verdict.harm == (verdict.probability >= 0.5)
        assert verdict.act_harm == (verdict.probability >= 0.8)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_shipped_model_was_trained_on_the_corpus_in_the_repository(language: str) -> None:
    data = json.loads(model_path(language).read_text(encoding="utf-8"))
    corpus = BENCH / "data" / data["trained_on"]["corpus"]
    assert data["trained_on"]["sha256"] == hashlib.sha256(corpus.read_bytes()).hexdigest(), (
        "the tuning corpus changed: run .venv/bin/python bench/train_stories.py"
    )
    validation = BENCH / "data" / data["thresholds_chosen_on"]["corpus"]
    assert validation.name == f"validation_{language}.jsonl"
    assert data["thresholds_chosen_on"]["sha256"] == train_stories.digest(validation), (
        "the validation set changed: run .venv/bin/python bench/train_stories.py"
    )
    # The act threshold is never below the story's; above 1, never reached.
    assert 0.5 <= data["threshold"] <= data["act_threshold"] <= train_stories.NEVER
    assert story_model(language).scorer.terms


# Stories whose harm none of the rules' words tell, and that the shipped
# model reads as harm with a probability well above its threshold (about
# 0.85 against 0.7). A retrained model that reads one of them otherwise has
# changed behaviour: look at why before choosing another example.
STORIES = [
    (
        "en",
        "Pooja's bulk edit to the shipping zones routed every Irish order through the UK "
        "warehouse for a week.",
        "person-work-consequence",
        "Pooja",
    ),
    (
        "en",
        "The pharmacy informatics team pushed a formulary update that removed insulin from the "
        "order sets for two hours.",
        "role-act-consequence",
        "The pharmacy informatics team",
    ),
    (
        "fr",
        "L'infogérant a patché les deux nœuds du cluster en même temps, et la messagerie de la "
        "mairie est restée coupée tout l'après-midi.",
        "role-action-consequence",
        "L'infogérant",
    ),
]


@pytest.mark.parametrize(("language", "text", "rule", "excerpt"), STORIES)
def test_the_model_decides_where_the_words_of_the_rules_do_not_tell_the_harm(
    language: str, text: str, rule: str, excerpt: str
) -> None:
    assert story_agents(text, language).asked
    verdict = story_model(language).judge(text)
    assert verdict.harm and verdict.evidence
    findings = [f for f in lint(text, language) if f.rule == rule]
    assert [f.excerpt for f in findings] == [excerpt]
    # The finding names the words the model read as harm, quoted as the
    # reader's language quotes.
    opening = "\u201c" if language == "en" else "\u00ab\u00a0"
    assert all(f"{opening}{word}" in findings[0].message for word in verdict.evidence)


def test_an_organisation_can_switch_the_model_off_for_a_rule(
    tmp_path: Path, settings: Settings
) -> None:
    _, text, rule, _ = STORIES[0]
    assert rule in {f.rule for f in lint(text)}
    path = tmp_path / "org.yaml"
    path.write_text(f"language: en\nrules:\n  - id: {rule}\n    model: false\n", encoding="utf-8")
    settings.BLAMELESS_RULES = str(path)
    assert rule not in {f.rule for f in lint(text)}


@pytest.mark.parametrize(
    ("language", "act", "entry"),
    [
        (
            "en",
            "The intern copied the production key into the public repository.",
            "14:02 the intern copied the production key into the public repository.",
        ),
        (
            "fr",
            "Le stagiaire a copié la clé de production dans le dépôt public.",
            "- **14 h 02** : le stagiaire a copié la clé de production dans le dépôt public.",
        ),
    ],
)
def test_an_act_told_alone_is_for_the_act_threshold_and_a_timeline_entry_never(
    language: str, act: str, entry: str
) -> None:
    # Nothing is told beyond the act: only the model's stricter threshold
    # may read its own words as harm.
    assert story_agents(act, language) == (True, False, True)
    # The same act as an entry of a timeline is a fact, never judged.
    assert story_agents(entry, language) == (False, False, False)
    # No rule's words flag it: the model's verdict alone decides.
    model_rules = {rule.rule.id for rule in ruleset(language).rules if rule.rule.model}
    findings = lint(act, language)
    assert all(f.rule in model_rules for f in findings)
    assert bool(findings) == story_model(language).judge(act).act_harm

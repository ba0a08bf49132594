"""Blame told as a story: a person or a role as the agent of a harmful act,
with no blame word, and the systems and neutral acts that are not blame."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django import Settings

from hotwash.blameless.engine import lint, lint_markdown
from hotwash.envconfig import ConfigurationError
from tests.blameless.test_engine import _write

# Touches no database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = pytest.mark.database_independent


def flagged(text: str, language: str = "en", names: list[str] | None = None) -> set[str]:
    return {f.category for f in lint(text, language, names=names or [])}


@pytest.mark.parametrize(
    ("language", "text", "category", "excerpt"),
    [
        ("en", "Nadia's migration locked the orders table for an hour.", "naming", "Nadia"),
        ("en", "The queue overflowed after Ben changed the batch size.", "naming", "Ben"),
        ("en", "The SRE on call let the disk fill up.", "role", "The SRE on call"),
        (
            "en",
            "The mobile team shipped a build that crashed on launch.",
            "role",
            "The mobile team",
        ),
        ("en", "Jo deployed at 5 pm on a Friday and logged off.", "judgement", "Jo"),
        ("en", "The platform group is on the hook for this one.", "blame", "The platform group"),
        ("en", "This one is squarely on the networking team.", "blame", "the networking team"),
        (
            "en",
            "Checkout went down because the contractor rotated the key.",
            "role",
            "the contractor",
        ),
        (
            "fr",
            "Les alertes ont cessé quand Hugo a modifié le fichier de routage.",
            "naming",
            "Hugo",
        ),
        ("fr", "La stagiaire a vidé le répertoire de production.", "role", "La stagiaire"),
        ("fr", "La migration de Nadia a verrouillé la table des commandes.", "naming", "Nadia"),
        (
            "fr",
            "L'équipe mobile a livré une version qui plantait au lancement.",
            "role",
            "L'équipe mobile",
        ),
        (
            "fr",
            "Il a fait la mise à jour sans même regarder les tableaux de bord.",
            "judgement",
            "sans même regarder",
        ),
        ("fr", "Ça retombe entièrement sur l'équipe réseau.", "blame", "l'équipe réseau"),
    ],
)
def test_a_person_or_a_role_as_the_agent_of_harm_is_flagged_without_a_blame_word(
    language: str, text: str, category: str, excerpt: str
) -> None:
    findings = [f for f in lint(text, language) if f.category == category]
    assert [f.excerpt for f in findings] == [excerpt]
    # Explained in the reader's language, with a rewrite to follow.
    assert all(f.message and f.suggestion for f in findings)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "The scheduler forgot to release the lock."),
        ("en", "Had the load test covered peak traffic, the limit would have shown up."),
        ("en", "Better input validation could have stopped the bad value."),
        ("en", "This review does not stop at 'operator error'."),
        ("en", "Ines scaled the pool back to ten workers."),
        ("en", "Recovery was quick thanks to Kofi's early page to the database team."),
        ("en", "Amira took command."),
        ("en", "The DBA restored the backup after the outage."),
        ("en", "The migration locked the orders table for an hour; the tool gave no warning."),
        ("en", "Kubernetes deleted the pods when the node pool shrank."),
        ("en", "Requests failed because the connection pool was exhausted."),
        ("en", "The reviewer missed the bus and joined the call at 09:30."),
        ("fr", "Le cron a oublié de purger la file."),
        ("fr", "Ines a redimensionné le pool à dix workers."),
        ("fr", "L'équipe réseau a rétabli la route à 14 h 20."),
        ("fr", "Nous ne parlons pas d'« erreur humaine »."),
    ],
)
def test_systems_and_neutral_acts_are_not_blame(language: str, text: str) -> None:
    assert lint(text, language) == []


def test_the_outcome_may_be_told_in_the_next_sentence_but_not_the_next_entry() -> None:
    assert flagged("Priya pushed the config. Ten minutes later checkout was down.") == {"naming"}
    # A semicolon or a line break separates the facts of a timeline.
    assert flagged("Marco deployed the release at 13:00; the error rate rose at 13:04.") == set()
    assert flagged("- 13:00 Marco deployed the release\n- 13:04 checkout was down\n") == set()


def test_a_capitalised_word_is_a_first_name_only_where_it_reads_as_one() -> None:
    # No names given: "Jo" and "Nadia" are found by their capital.
    assert flagged("Nadia's script wiped the export table.") == {"naming"}
    # Products, days, determiners, plural nouns and words of the text are not people.
    assert flagged("Terraform destroyed the bucket after a rename.") == set()
    assert flagged("Friday's deploy broke the export.") == set()
    assert flagged("The Orders service dropped requests after the deploy broke it.") == set()
    assert flagged("Clients skipped the retry when the header was missing.") == set()
    text = "Checkout broke the cart page. The checkout service ran out of threads."
    assert flagged(text) == set()


def test_findings_on_markdown_keep_exact_offsets_and_ignore_code() -> None:
    markdown = "`The DBA dropped the table`\n\n```\nThe intern wiped prod\n```\nThe DBA dropped the orders table.\n"
    findings = lint_markdown(markdown)
    assert [(f.category, f.excerpt) for f in findings] == [("role", "The DBA")]
    assert markdown[findings[0].start : findings[0].end] == "The DBA"


def test_an_organisation_adds_roles_and_words_that_are_not_names(
    tmp_path: Path, settings: Settings
) -> None:
    assert flagged("The night watch dropped the cache table.") == set()
    assert flagged("Zephyr deleted the old snapshots and the export broke.") == {"naming"}
    settings.BLAMELESS_RULES = _write(
        tmp_path / "org.yaml",
        "language: en\nroles: ['the night watch']\nnot_names: [Zephyr]\n"
        "rules:\n  - id: role-as-agent\n    unless: ['as planned']\n",
    )
    assert flagged("The night watch dropped the cache table.") == {"role"}
    assert flagged("Zephyr deleted the old snapshots and the export broke.") == set()
    # A field overridden by id keeps the rest of the shipped rule.
    assert flagged("The night watch dropped the cache table as planned.") == set()


def test_a_shipped_story_rule_is_switched_off_by_id(tmp_path: Path, settings: Settings) -> None:
    settings.BLAMELESS_RULES = _write(
        tmp_path / "org.yaml",
        "language: en\nrules:\n  - id: person-act-consequence\n    enabled: false\n",
    )
    assert flagged("The queue overflowed after Ben changed the batch size.") == set()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("language: en\nroles: ['(unclosed']\nrules: []\n", "roles"),
        ("language: en\nnot_names: [yes]\nrules: []\n", "not_names must be a list of strings"),
    ],
)
def test_a_bad_lexicon_is_a_configuration_error(
    tmp_path: Path, settings: Settings, content: str, expected: str
) -> None:
    settings.BLAMELESS_RULES = _write(tmp_path / "bad.yaml", content)
    with pytest.raises(ConfigurationError, match=expected):
        lint("anything")

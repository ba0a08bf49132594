"""The detector: what is replaced, what is not (times, versions), and the
placeholders in both languages. Plain functions: no database."""

from __future__ import annotations

import re

import pytest

from hotwash.sharing import redaction
from hotwash.sharing.redaction import Replacement, Rules

pytestmark = pytest.mark.database_independent

TICKETS = re.compile(r"\b(?!(?:UTF|ISO|CVE)-)[A-Z][A-Z0-9]{1,9}-\d+\b")
RULES = Rules(
    names=("Amira", "Haddad", "Amira Haddad", "Will", "Zoé"),
    usernames=("amira", "sam.okafor"),
    internal_domains=("corp.example", "internal"),
    patterns=(TICKETS,),
)


def _found(text: str, rules: Rules = RULES) -> list[tuple[str, str]]:
    replacements = redaction.find(text, rules)
    for r in replacements:
        assert text[r.start : r.end] == r.original  # offsets into the original
    return [(r.kind, r.original) for r in replacements]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("reach 10.0.0.1 now", "10.0.0.1"),
        ("the 192.168.0.0/16 network", "192.168.0.0/16"),
        ("link-local fe80::1 answered", "fe80::1"),
        ("from 2001:db8::5.", "2001:db8::5"),
        ("loopback ::1", "::1"),
        ("mapped ::ffff:10.0.0.1 too", "::ffff:10.0.0.1"),
    ],
)
def test_addresses_are_replaced(text: str, address: str) -> None:
    assert _found(text) == [("address", address)]


@pytest.mark.parametrize(
    "text",
    [
        "At 03:20 the page fired.",
        "It ended at 12:30:45 UTC.",
        "Logged 2026-01-02T03:20:00Z.",
        "We shipped v2.3.1 and 1.2.3.4-beta.",
        "Not an address: 300.1.1.1 or 1.2.3.4.5.",
        "À 03:20, puis à 12:30:45, la version v2.3.1 était en ligne.",
    ],
)
def test_times_and_versions_are_not_addresses(text: str) -> None:
    assert _found(text) == []


def test_a_range_is_two_addresses() -> None:
    assert _found("10.0.0.1-10.0.0.9") == [("address", "10.0.0.1"), ("address", "10.0.0.9")]


def test_every_email_address_is_replaced() -> None:
    assert _found("Write to ops@vendor.example or sam.okafor@corp.example.") == [
        ("email", "ops@vendor.example"),
        ("email", "sam.okafor@corp.example"),
    ]


def test_internal_hosts_and_urls_but_not_public_ones() -> None:
    text = (
        "db-1.corp.example and vault.internal:8200 failed; see "
        "https://grafana.corp.example/d/x?y=1), not https://status.example.org/ or example.com."
    )
    assert _found(text) == [
        ("host", "db-1.corp.example"),
        ("host", "vault.internal:8200"),
        ("url", "https://grafana.corp.example/d/x?y=1"),
    ]


def test_a_url_to_an_address_is_internal() -> None:
    assert _found("open http://10.0.0.7:9090/graph now") == [("url", "http://10.0.0.7:9090/graph")]


def test_a_domain_that_only_ends_like_an_internal_one_is_not_internal() -> None:
    assert _found("mycorp.example.org and notinternal.net") == []


def test_names_longest_first_and_one_word_names_only_with_a_capital() -> None:
    text = "Amira Haddad paged Zoé; we will see. Will answered, then amira and @AMIRA."
    assert _found(text) == [
        ("person", "Amira Haddad"),
        ("person", "Zoé"),
        ("person", "Will"),
        ("person", "amira"),
        ("person", "@AMIRA"),
    ]


def test_a_username_inside_an_email_is_one_email() -> None:
    assert _found("sam.okafor@example.com") == [("email", "sam.okafor@example.com")]


def test_ticket_references_and_not_standards() -> None:
    assert _found("Filed OPS-123 about UTF-8 and CVE-2024-1234.") == [("pattern", "OPS-123")]


def test_marked_texts_and_kept_originals() -> None:
    rules = Rules(names=("Amira",), marked=(("Bob from Acme", "person"), ("db-primary", "host")))
    assert _found("Bob from Acme restarted db-primary; bob from acme said so.", rules) == [
        ("person", "Bob from Acme"),
        ("host", "db-primary"),
        ("person", "bob from acme"),
    ]
    kept = Rules(names=("Amira",), kept=frozenset({"Amira"}))
    assert _found("Amira and Amira", kept) == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "A responder restarted an internal service at [address removed]."),
        ("fr", "Une personne intervenante restarted un service interne at [adresse retirée]."),
    ],
)
def test_placeholders_in_the_readers_language(language: str, expected: str) -> None:
    text = "Amira restarted db-1.corp.example at 10.0.0.1."
    public, replacements = redaction.redact(text, language, RULES)
    assert public == expected
    assert [r.kind for r in replacements] == ["person", "host", "address"]


def test_a_french_text_keeps_its_words() -> None:
    text = "À 03:20, Amira a redémarré db-1.corp.example ; voir OPS-7."
    public, _ = redaction.redact(text, "fr", RULES)
    assert (
        public
        == "À 03:20, une personne intervenante a redémarré un service interne ; voir [référence retirée]."
    )


def test_segments_mark_each_replacement() -> None:
    text = "Ask Amira."
    [replacement] = redaction.find(text, RULES)
    assert replacement == Replacement(4, 9, "person", "Amira")
    original = redaction.segments(text, [replacement], "en", redacted=False)
    public = redaction.segments(text, [replacement], "en", redacted=True)
    assert [(s.text, s.replacement is not None) for s in original] == [
        ("Ask ", False),
        ("Amira", True),
        (".", False),
    ]
    assert "".join(s.text for s in public) == "Ask a responder."

"""The one Atom writer (hotwash.core.atom) gives what RFC 4287 asks, and the
tests' checker of RFC 4287 (tests/support/atom.py) does catch a feed that
breaks it: otherwise "no problems" would prove nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from hotwash.core import atom
from tests.support.atom import problems

WHEN = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def _feed(*entries: atom.Entry) -> atom.Feed:
    return atom.Feed(
        id="https://hotwash.example/en/feed.atom",
        title="Feed",
        language="en",
        link="https://hotwash.example/en/",
        entries=entries,
    )


def _entry(number: int) -> atom.Entry:
    return atom.Entry(
        id=atom.tag_id(f"thing-{number}"),
        title=f"Thing {number}",
        updated=WHEN,
        published=WHEN,
        link=f"https://hotwash.example/en/things/{number}/",
        text="Some <text> & more",
        categories=["capacity"],
    )


def test_a_feed_written_by_the_writer_breaks_no_rule() -> None:
    body = atom.render(_feed(_entry(1), _entry(2)))

    assert problems(body) == []
    assert b"<updated>2026-12-07T09:30:00Z</updated>" in body
    assert b"Some &lt;text&gt; &amp; more" in body
    assert atom.tag_id("thing-1").startswith("tag:")


def test_an_empty_feed_is_dated_at_the_epoch_and_still_valid() -> None:
    body = atom.render(_feed())

    assert problems(body) == []
    assert b"<updated>1970-01-01T00:00:00Z</updated>" in body


def test_the_checker_names_each_broken_rule() -> None:
    ns = 'xmlns="http://www.w3.org/2005/Atom"'
    broken = (
        f"<feed {ns}><title>x</title><title>y</title><updated>yesterday</updated>"
        '<link rel="alternate" type="text/html" href="https://a.example/"/>'
        '<link type="text/html" href="https://b.example/"/>'
        "<entry><id>not-an-iri</id><title>t</title><updated>2026-12-07T09:30:00Z</updated>"
        "</entry></feed>"
    ).encode()

    found = problems(broken)

    assert "feed: 0 atom:id, exactly one required" in found
    assert "feed: 2 atom:title, exactly one required" in found
    assert "feed: atom:updated 'yesterday' is not an RFC 3339 date-time" in found
    assert "feed: two alternate links of one type and hreflang" in found
    assert "feed: no atom:author, and an entry has none either" in found
    assert "entry 1: atom:id 'not-an-iri' is not an absolute IRI" in found
    assert "entry 1: neither atom:content nor an alternate link" in found

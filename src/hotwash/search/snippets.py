"""Highlighted snippets: the part of a text where the searched words are,
escaped, with each matching word in <mark>.

Computed here rather than by the database (ts_headline re-parses the whole
text, FTS5's snippet() needs its own copy of it), the same way on both
databases and only for the results on the page. A word matches when its
English or French stem is one of the query's.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hotwash.search import text

WIDTH = 220
# How much of a long text is searched for the snippet, and how many of its
# matches are weighed: a snippet must cost little even for an incident with
# thousands of chat messages.
SCANNED = 20_000
WEIGHED = 200
# Characters shown before the first match, so it is read in its sentence.
LEAD = 40
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=256)
def query_terms(query: str) -> frozenset[tuple[str, str]]:
    """(language, stem) pairs of a query's words (cached: every result on
    the page asks for them)."""
    return frozenset(
        {
            (language, stem)
            for word in text.words(query)
            for language in text.LANGUAGES
            if (stem := text.stem(word, language))
        }
    )


def _matches(source: str, terms: frozenset[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """(start, end, term) of the words of `source` that match, the first
    WEIGHED of them (each distinct word stemmed once)."""
    found: list[tuple[int, int, str]] = []
    seen: dict[str, str | None] = {}
    for match in text.WORD.finditer(source):
        word = match.group()
        if word not in seen:
            seen[word] = _term(text.fold_word(word), terms)
        term = seen[word]
        if term is not None:
            found.append((match.start(), match.end(), term))
            if len(found) >= WEIGHED:
                break
    return found


def _term(folded: str, terms: frozenset[tuple[str, str]]) -> str | None:
    for language in text.LANGUAGES:
        stem = text.stem(folded, language)
        if stem and (language, stem) in terms:
            return stem
    return None


def _marked(source: str, matches: list[tuple[int, int, str]], start: int, end: int) -> str:
    parts, position = [], start
    for first, last, _ in matches:
        if first < start or last > end:
            continue
        parts += [escape(source[position:first]), "<mark>", escape(source[first:last]), "</mark>"]
        position = last
    parts.append(escape(source[position:end]))
    return "".join(parts)


def highlight(value: str, query: str) -> SafeString:
    """All of `value` (a title), escaped, its matching words marked."""
    terms = query_terms(query)
    return mark_safe(_marked(value, _matches(value, terms), 0, len(value)))  # escaped in _marked


def snippet(body: str, query: str) -> SafeString:
    """About WIDTH characters of `body` around the most matching words,
    escaped and marked; its beginning when no word matches (the match was
    in the title)."""
    source = _SPACES.sub(" ", body[:SCANNED]).strip()
    matches = _matches(source, query_terms(query))
    start = _best_start(matches)
    start = max(0, start - LEAD)
    if start:
        # Begin at a word, not inside one.
        space = source.find(" ", start)
        start = space + 1 if 0 <= space < start + LEAD else start
    end = min(len(source), start + WIDTH)
    if end < len(source):
        space = source.rfind(" ", start, end)
        end = space if space > start else end
    html = _marked(source, matches, start, end)
    prefix = "… " if start else ""
    suffix = " …" if end < len(source) else ""
    return mark_safe(f"{prefix}{html}{suffix}")  # escaped in _marked


def _best_start(matches: list[tuple[int, int, str]]) -> int:
    """Where the window holding the most different matching words starts."""
    best, best_count = 0, 0
    for index, (first, _, _) in enumerate(matches):
        window = {term for begin, _, term in matches[index:] if begin < first + WIDTH - LEAD}
        if len(window) > best_count:
            best, best_count = first, len(window)
    return best

"""Words, as search sees them: accents folded, stop words left out, and
stemmed in English and in French (Snowball, the algorithms PostgreSQL's
`english` and `french` configurations use), so `paiements` finds
`paiement`, `echec` finds `échec` and `lag` finds `lagging`.

PostgreSQL does this itself (`to_tsvector('french', unaccent(...))`);
SQLite's FTS5 cannot stem French, so on SQLite the index and the queries
hold the words this module makes, and FTS5 only matches them. Folding comes
before stemming on both, as PostgreSQL does with `unaccent` inside
`to_tsvector`, so a word typed without its accents stems the same way.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Any, Literal

from hotwash.search import stopwords

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")

# Letters and digits (FTS5's unicode61 tokenizer splits on everything else,
# the underscore included), so a word made here is one token to FTS5.
WORD = re.compile(r"[^\W_]+")
_SNOWBALL_LANGUAGES = {"en": "english", "fr": "french"}
_STOP_WORDS = {"en": stopwords.ENGLISH, "fr": stopwords.FRENCH}
# A word longer than this is not a word a person searches for (a hash, a
# token): kept whole, not stemmed.
LONGEST_STEMMED = 40


# The combining diacritical marks (and their supplements), which NFKD
# splits off accented letters: what `unaccent` takes off too.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


# Letters NFKD leaves whole that `unaccent` spells out ("cœur" is "coeur").
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})


def fold(text: str) -> str:
    """`text` in lower case without its accents: "Échec" gives "echec"."""
    if text.isascii():
        return text.lower()  # most text: nothing to decompose
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.lower())).translate(_LIGATURES)


def words(text: str) -> list[str]:
    """The folded words of `text`, in order."""
    return WORD.findall(fold(text))


@lru_cache(maxsize=200_000)
def fold_word(word: str) -> str:
    """`fold` for one word, cached (snippets fold every word they scan)."""
    return fold(word)


@lru_cache(maxsize=200_000)
def stem(word: str, language: Language) -> str:
    """`word` (already folded) stemmed in `language`, or "" for a stop word.
    Cached: an index of 100,000 incidents has a vocabulary of thousands."""
    if word in _STOP_WORDS[language]:
        return ""
    if len(word) > LONGEST_STEMMED:
        return word
    return str(_stemmer(language).stemWord(word))


@cache
def _stemmer(language: Language) -> Any:
    """The language's Snowball stemmer, made on first use: importing
    snowballstemmer loads the stemmers of all its languages (0.09 s), which
    every `hotwash` command would otherwise spend as it starts."""
    import snowballstemmer  # type: ignore[import-untyped]

    return snowballstemmer.stemmer(_SNOWBALL_LANGUAGES[language])


def stems(text: str, language: Language) -> list[str]:
    """The stems of `text`'s words in `language`, stop words left out."""
    return [s for s in (stem(word, language) for word in words(text)) if s]


def stemmed_text(text: str, language: Language) -> str:
    """What SQLite's index holds for `text`: its stems, space-separated."""
    return " ".join(stems(text, language))


def query_stems(query: str, language: Language) -> list[str]:
    """The distinct stems of a query, in order: every one must match."""
    return list(dict.fromkeys(stems(query, language)))

"""Finding what a public version must not show, and replacing it.

Plain functions over text with offsets, no database: `find` returns the
spans to replace (offsets into the text it was given, never overlapping, in
text order), `apply` writes the neutral placeholders in the reader's
language, `segments` cuts a text into plain runs and replacements for the
side-by-side review. What to look for comes in `Rules`, which
`hotwash.sharing.queries.rules_for` builds from what Hotwash knows (every
account's names, the incident's participants, the names the author marked,
HOTWASH_INTERNAL_DOMAINS and the policy file's patterns).

Nothing here needs a language model: names are the ones Hotwash knows,
everything else is a pattern, and addresses are only what the standard
library's `ipaddress` accepts, so a time ("03:20", "12:30:45") or a version
("v2.3.1", "1.2.3.4-beta") is never taken for one.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext_lazy as _

PERSON = "person"
EMAIL = "email"
ADDRESS = "address"
HOST = "host"
URL = "url"
PATTERN = "pattern"
KINDS = (PERSON, EMAIL, ADDRESS, HOST, URL, PATTERN)

# What stands in for each kind, in the reader's language.
PLACEHOLDERS = {
    PERSON: _("a responder"),
    EMAIL: _("[email address removed]"),
    ADDRESS: _("[address removed]"),
    HOST: _("an internal service"),
    URL: _("[internal link removed]"),
    PATTERN: _("[reference removed]"),
}

# When two findings overlap, the one starting first wins; at the same start
# the longer (an email over the username in it, a URL over its host).
EMAIL_RE = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# A dotted quad, not part of a longer dotted run (1.2.3.4.5), not right after
# a letter or digit ("v1.2.3.4"), not followed by "-beta" (a version's
# suffix); a range's second address ("10.0.0.1-10.0.0.9") is still one.
IPV4_RE = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?!\.?\d)(?!\w)(?!-[A-Za-z])")
# Candidates only: hex groups and at least two colons, an optional dotted
# tail and zone; `ipaddress` decides (so "12:30:45" is not one).
IPV6_RE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?"
    r"(?:%[\w.]+)?(?:/\d{1,3})?(?![\w:])"
)
URL_RE = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s<>\"'`]+", re.IGNORECASE)
URL_TRAILING = ".,;:!?'\""
HOST_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
SENTENCE_END = re.compile(r"(?:^|[.!?:]\s+|\n\s*(?:[-*+>#]+\s+)?|\n)$")


@dataclass(frozen=True)
class Replacement:
    """text[start:end] (the original) is replaced by the kind's placeholder."""

    start: int
    end: int
    kind: str
    original: str

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "kind": self.kind, "original": self.original}


@dataclass(frozen=True)
class Rules:
    """What to look for. `names`: people's names (a one-word name counts
    where written with a capital); `usernames`: account names, in any case;
    `marked`: texts the author marked, with their kind; `kept`: originals
    the author chose to keep, exactly as written; `internal_domains`: host names
    under these (and the domains themselves), and URLs to them, are
    internal; `patterns`: the organisation's patterns (ticket references
    and others)."""

    names: tuple[str, ...] = ()
    usernames: tuple[str, ...] = ()
    marked: tuple[tuple[str, str], ...] = ()
    kept: frozenset[str] = frozenset()
    internal_domains: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = field(default=())


def find(text: str, rules: Rules) -> list[Replacement]:
    """Every span of `text` the rules say to replace, in text order, none
    overlapping."""
    found = sorted(_candidates(text, rules), key=lambda r: (r.start, -(r.end - r.start)))
    chosen: list[Replacement] = []
    end = 0
    for replacement in found:
        if replacement.start < end or replacement.original in rules.kept:
            continue
        chosen.append(replacement)
        end = replacement.end
    return chosen


def _candidates(text: str, rules: Rules) -> Iterator[Replacement]:
    yield from _urls(text, rules.internal_domains)
    yield from _matches(text, EMAIL_RE, EMAIL)
    yield from _addresses(text)
    yield from _hosts(text, rules.internal_domains)
    for pattern in rules.patterns:
        yield from _matches(text, pattern, PATTERN)
    yield from _people(text, rules.names)
    yield from _people(text, rules.usernames, any_case=True)
    for marked, kind in rules.marked:
        yield from _literal(text, marked, kind)


def _matches(text: str, pattern: re.Pattern[str], kind: str) -> Iterator[Replacement]:
    for match in pattern.finditer(text):
        if match.end() > match.start():
            yield Replacement(match.start(), match.end(), kind, match.group())


def _addresses(text: str) -> Iterator[Replacement]:
    for pattern in (IPV4_RE, IPV6_RE):
        for match in pattern.finditer(text):
            if is_address(match.group()):
                yield Replacement(match.start(), match.end(), ADDRESS, match.group())


def is_address(candidate: str) -> bool:
    """An IPv4 or IPv6 address or network, as `ipaddress` reads it."""
    value, _slash, prefix = candidate.partition("/")
    value = value.split("%", 1)[0]
    try:
        if prefix:
            ipaddress.ip_network(f"{value}/{prefix}", strict=False)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _domain_pattern(domains: Sequence[str]) -> re.Pattern[str] | None:
    cleaned = sorted({d.strip().strip(".").lower() for d in domains if d.strip(". ")}, key=len)
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(domain) for domain in reversed(cleaned))
    return re.compile(
        rf"(?<![\w.@-])(?:{HOST_LABEL}\.)*(?:{alternatives})(?::\d{{1,5}})?(?![\w-]|\.[a-z0-9])",
        re.IGNORECASE,
    )


def _hosts(text: str, domains: Sequence[str]) -> Iterator[Replacement]:
    pattern = _domain_pattern(domains)
    if pattern is not None:
        yield from _matches(text, pattern, HOST)


def _urls(text: str, domains: Sequence[str]) -> Iterator[Replacement]:
    """URLs whose host is under an internal domain or is an address."""
    internal = _domain_pattern(domains)
    for match in URL_RE.finditer(text):
        url = _trim_url(match.group())
        host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        host = host.rsplit("@", 1)[-1]
        bare = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
        if is_address(bare) or (internal is not None and internal.fullmatch(host)):
            yield Replacement(match.start(), match.start() + len(url), URL, url)


def _trim_url(url: str) -> str:
    """A URL without the punctuation that ends the sentence around it; a
    closing bracket stays when the URL opened one."""
    while url:
        last = url[-1]
        unopened = last == ")" and url.count("(") < url.count(")")
        if last in URL_TRAILING or unopened:
            url = url[:-1]
        else:
            break
    return url


def _is_one_word(name: str) -> bool:
    return name.isalpha()


def _people(text: str, names: Iterable[str], *, any_case: bool = False) -> Iterator[Replacement]:
    """Names as written anywhere, without regard to case, except a name of
    one word of letters ("Sam", "Will"), which counts only where written
    with a capital, as a name is, so that "we will" stays (`any_case`: a
    username counts however written, "will" too: an account's name is worth
    an undo more than a leak); @mentions count in any case."""
    wanted = sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True)
    if not wanted:
        return
    alternatives = "|".join(r"\s+".join(map(re.escape, n.split())) for n in wanted)
    pattern = re.compile(rf"(?<![\w@.-])@?(?:{alternatives})(?![\w@-]|\.\w)", re.IGNORECASE)
    for match in pattern.finditer(text):
        found = match.group()
        if not (any_case or found.startswith("@") or not _is_one_word(found) or found[0].isupper()):
            continue
        yield Replacement(match.start(), match.end(), PERSON, found)


def _literal(text: str, marked: str, kind: str) -> Iterator[Replacement]:
    """Every occurrence of what the author marked, in any case, as a whole
    word where it starts or ends with one."""
    marked = marked.strip()
    if not marked:
        return
    before = r"(?<!\w)" if marked[0].isalnum() else ""
    after = r"(?!\w)" if marked[-1].isalnum() else ""
    pattern = re.compile(before + re.escape(marked) + after, re.IGNORECASE)
    yield from _matches(text, pattern, kind)


def placeholder(kind: str, language: str) -> str:
    with translation.override(language):
        return str(PLACEHOLDERS[kind])


def apply(text: str, replacements: Sequence[Replacement], language: str) -> str:
    """`text` with each replacement's span replaced by its placeholder in
    `language`, written with a capital where a sentence starts."""
    parts: list[str] = []
    position = 0
    for replacement in replacements:
        parts.append(text[position : replacement.start])
        parts.append(_fitted(placeholder(replacement.kind, language), text, replacement.start))
        position = replacement.end
    parts.append(text[position:])
    return "".join(parts)


def _fitted(words: str, text: str, start: int) -> str:
    if words[:1].isalpha() and SENTENCE_END.search(text[:start]):
        return words[0].upper() + words[1:]
    return words


@dataclass(frozen=True)
class Segment:
    """A run of the text: plain (`replacement` None) or one replacement,
    with the text shown for it (the original, or the placeholder)."""

    text: str
    replacement: Replacement | None = None


def segments(
    text: str, replacements: Sequence[Replacement], language: str, *, redacted: bool
) -> list[Segment]:
    """The text cut at its replacements, to highlight them side by side:
    the original's words (`redacted` false) or the placeholders."""
    result: list[Segment] = []
    position = 0
    for replacement in replacements:
        if replacement.start > position:
            result.append(Segment(text[position : replacement.start]))
        shown = (
            _fitted(placeholder(replacement.kind, language), text, replacement.start)
            if redacted
            else replacement.original
        )
        result.append(Segment(shown, replacement))
        position = replacement.end
    if position < len(text):
        result.append(Segment(text[position:]))
    return result


def redact(text: str, language: str, rules: Rules) -> tuple[str, list[Replacement]]:
    """The public text and the replacements made (offsets into `text`)."""
    replacements = find(text, rules)
    return apply(text, replacements, language), replacements

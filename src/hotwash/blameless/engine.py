"""The blameless-language linter.

Rules are data: `rules/<language>.yaml` ships with Hotwash, and an
organisation can add rules, replace shipped ones (same id) or switch them
off (`enabled: false`; `disabled: true` is accepted too) with a file or
folder named by HOTWASH_BLAMELESS_RULES (the BLAMELESS_RULES setting).
Every file is validated with pydantic and every pattern compiled once per
process; a mistake stops Hotwash at start-up with the rule named.

Matching is regular expressions, case-insensitive, with word boundaries
added around every pattern. The text is split into sentences once; each
rule's pattern is tried where one of its matches can start, and its
exceptions (`unless`, `unless_before`, `unless_after`) are only looked at
around the few matches.

Speed (a 20-page postmortem is linted in well under 50 ms): case does not
matter because every pattern is matched, without re.IGNORECASE, against a
lowercased copy of the text of the same length (so offsets still point into
the original); the literal heads every match of a rule starts with are found
for all the rules in one pass of an Aho-Corasick automaton (_Starts), so
each pattern is tried at a few places, not at every position; the names
given with a text are matched with one trie-shaped pattern, and the
organisation's accounts' names (thousands) with one automaton, built once
for all texts.

Time grows in proportion to the text, whatever its shape (POST /api/v1/lint
takes up to 1 MiB from any signed-in user; bench/lint_quality.py times 1 MiB
texts of several adversarial shapes against a 1 s ceiling): what a rule asks
of a whole sentence is worked out once per sentence, not once per match in
it (_Sentences); a sentence longer than MAX_SENTENCE (text without full
stops) is read in pieces of about that size, so a match's exceptions are
looked for near it; exceptions before and after a match look at most WINDOW
characters away; and the expressions here and in the shipped rules do not
read the same stretch of text again from each of many starting points (a
run of punctuation, backticks or tildes is read once, inline code is paired
in one pass by _inline_code, a look-ahead for a question mark stops after
1,000 characters). An organisation's own patterns are its to keep so.
"""

from __future__ import annotations

import bisect
import functools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from ahocorasick_rs import AhoCorasick
from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hotwash.core import markdown_blocks
from hotwash.core.yaml_config import (
    describe_errors,
    merge_entries,
    read_mapping,
    switch_of,
    switched_off,
    validate,
)
from hotwash.envconfig import ConfigurationError
from hotwash.policies import LocalisedText

LANGUAGES = ("en", "fr")
RULES_DIR = Path(__file__).with_name("rules")
Category = Literal["naming", "human-error", "counterfactual", "judgement", "blame", "why-question"]

# Patterns are lowercased and matched against lowercased text (see _lowered):
# much faster than re.IGNORECASE, with the same result for English and French.
FLAGS = re.UNICODE
# How far around a match `unless_before` / `unless_after` look (characters).
WINDOW = 80


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    rule: str
    category: str
    excerpt: str
    message: str
    suggestion: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "rule": self.rule,
            "category": self.category,
            "excerpt": self.excerpt,
            "message": self.message,
            "suggestion": self.suggestion,
        }


# --- rule files -----------------------------------------------------------------


class Rule(BaseModel):
    """One rule as written in a rule file.

    type `regex` (a `pattern`) or `phrases` (a list, matched literally) flag
    their matches; `person-agent` flags a participant's name (or an
    @mention) that `before` or `after` shows to be the agent of a failure;
    `mention` flags an @mention in a sentence that matches `context`.
    Any rule with `when` only flags a match in a sentence that also matches
    one of those patterns. `unless` is also looked for in the sentence that
    follows a question ("Who is responsible? That is the wrong question.").
    """

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    category: Category
    type: Literal["regex", "phrases", "person-agent", "mention"] = "regex"
    pattern: str = ""
    phrases: list[str] = []
    unless: list[str] = []
    unless_before: list[str] = []
    unless_after: list[str] = []
    before: list[str] = []
    after: list[str] = []
    context: list[str] = []
    when: list[str] = []
    message: LocalisedText
    suggestion: LocalisedText
    enabled: bool = True

    @model_validator(mode="before")
    @classmethod
    def _infer_type(cls, data: Any) -> Any:
        # A rule with only `phrases` need not say its type.
        if isinstance(data, dict) and "type" not in data and "phrases" in data:
            return {**data, "type": "phrases"}
        return data

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if self.type == "regex" and not self.pattern:
            raise ValueError("a regex rule needs a pattern")
        if self.type == "phrases" and not self.phrases:
            raise ValueError("a phrases rule needs a list of phrases")
        if self.type == "person-agent" and not (self.before or self.after):
            raise ValueError("a person-agent rule needs before or after patterns")
        if self.type == "mention" and not self.context:
            raise ValueError("a mention rule needs context patterns")
        for text in [self.pattern, *self.unless, *self.unless_before, *self.unless_after]:
            _regex(text)
        for text in [*self.before, *self.after, *self.context, *self.when]:
            _regex(text)
        return self


def _lowercase_pattern(text: str) -> str:
    """A pattern in lower case, its escapes (\\S, \\W, \\A ...) untouched."""
    out: list[str] = []
    escaped = False
    for char in text:
        out.append(char if escaped else char.lower())
        escaped = not escaped and char == "\\"
    return "".join(out)


def _lowered(text: str) -> str:
    """The text in lower case, character for character (offsets unchanged)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters (U+0130) lowercase to two: keep those as they are.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _regex(text: str) -> str:
    """The pattern as compiled: in lower case, and an apostrophe also matches
    a typographic one."""
    source = _lowercase_pattern(text).replace("'", "['\u2019]")
    try:
        re.compile(source, FLAGS)
    except re.error as exc:
        raise ValueError(f"the pattern {text!r} is not a valid regular expression: {exc}") from None
    return source


def _spaced(phrase: str) -> str:
    """A literal phrase as a pattern in which any run of spaces matches."""
    return r"\s+".join(re.escape(word) for word in phrase.split())


def _alternation(patterns: Sequence[str]) -> str:
    return "|".join(f"(?:{_regex(p)})" for p in patterns)


def _read(path: Path) -> tuple[str, list[dict[str, Any]]]:
    data = read_mapping(path, "blameless rule file")
    if data.get("language") not in LANGUAGES:
        raise ConfigurationError(
            f"Blameless rule file {path} must be a mapping with language: en or fr, and rules: [...]"
        )
    rules = data.get("rules") or []
    if not isinstance(rules, list) or not all(
        isinstance(item, dict) and isinstance(item.get("id"), str) for item in rules
    ):
        raise ConfigurationError(
            f"Blameless rule file {path}: rules must be a list of rules with ids"
        )
    return str(data["language"]), [
        switch_of(item, f"Blameless rule {item['id']!r} in {path}") for item in rules
    ]


def _organisation_files(location: str) -> list[Path]:
    if not location:
        return []
    path = Path(location).expanduser()
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    return [path]


def load_rules(language: str, organisation: str = "") -> list[Rule]:
    """The rules in force for a language, shipped then organisation's, in
    file order; a rule with a shipped id replaces (field by field) the
    shipped one, and `enabled: false` (or `disabled: true`) switches it off."""
    merged: list[dict[str, Any]] = []
    origin: dict[str, Path] = {}  # the file that last gave each rule, for errors
    for path in [RULES_DIR / f"{language}.yaml", *_organisation_files(organisation)]:
        file_language, rules = _read(path)
        if file_language != language:
            continue
        merged = merge_entries(merged, rules, "id")
        origin.update((item["id"], path) for item in rules)
    return [
        validate(
            Rule,
            data,
            f"Blameless rule {data['id']!r} in {origin[data['id']]}",
            describe=functools.partial(describe_errors, root="rule"),
        )
        for data in merged
        if not switched_off(data)
    ]


# --- compiled rules -------------------------------------------------------------


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    # The regex or phrases rule's pattern as written for matching (lowercased,
    # apostrophes widened), and compiled to match where a word starts; "" and
    # None for the other types.
    source: str
    pattern: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    unless_before: re.Pattern[str] | None
    unless_after: re.Pattern[str] | None
    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    context: re.Pattern[str] | None
    when: re.Pattern[str] | None


# A match may end on an elided word ("d'", "qu'") glued to the next one.
_END = r"(?:(?<=['\u2019])|(?!\w))"
_WORD = re.compile(r"\w")


def _bounded(source: str) -> str:
    return rf"(?<!\w)(?:{source}){_END}"


def _compile_before(patterns: Sequence[str]) -> re.Pattern[str] | None:
    # Ends right before the match, give or take spaces and dashes.
    return (
        re.compile(rf"(?<!\w)(?:{_alternation(patterns)})[\s\-\u2013]*\Z", FLAGS)
        if patterns
        else None
    )


def _compile_after(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return (
        re.compile(rf"[\s\-\u2013]*(?:{_alternation(patterns)})(?!\w)", FLAGS) if patterns else None
    )


def _compile_anywhere(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile(_bounded(_alternation(patterns)), FLAGS) if patterns else None


def _compile(rule: Rule) -> CompiledRule:
    source = ""
    if rule.type == "regex":
        source = _regex(rule.pattern)
    elif rule.type == "phrases":
        phrases = sorted(rule.phrases, key=len, reverse=True)
        source = "|".join(_regex(_spaced(p)) for p in phrases)
    return CompiledRule(
        rule=rule,
        source=source,
        pattern=re.compile(_bounded(source), FLAGS) if source else None,
        unless=_compile_anywhere(rule.unless),
        unless_before=_compile_before(rule.unless_before),
        unless_after=_compile_after(rule.unless_after),
        before=_compile_before(rule.before),
        after=_compile_after(rule.after),
        context=_compile_anywhere(rule.context),
        when=_compile_anywhere(rule.when),
    )


# --- where matches can start ------------------------------------------------------
#
# Scanning the text once per rule, each pattern tried at every position, is
# too slow (up to 1.7 s for 1 MiB against the 1 s ceiling of
# bench/lint_quality.py, 105 ms for a 20-page postmortem against 50 ms). But
# every match of a rule starts with one of a few literal heads ("human",
# "opera", "should"): an Aho-Corasick automaton of all the rules' heads finds
# them in one pass, and each rule's pattern is only tried where one of its own
# heads starts a word. Python's re does not say how a pattern's matches
# start, so _heads reads it from the pattern's source, cautiously: what it
# does not know (a class, an escape, a look-around) ends a head, and a rule
# with a match that could start anywhere is scanned whole.


def _after_class(source: str, opening: int) -> int:
    """The index just after the character class opened at `opening`."""
    index = opening + 1
    if source[index : index + 1] == "^":
        index += 1
    if source[index : index + 1] == "]":  # "]" first in a class is a literal
        index += 1
    while index < len(source):
        if source[index] == "\\":
            index += 2
        elif source[index] == "]":
            return index + 1
        else:
            index += 1
    raise ValueError("unclosed character class")


def _next_token(source: str, index: int) -> int:
    """Where the token (escape, class, group or character) at `index` ends."""
    char = source[index]
    if char == "\\":
        return index + 2
    if char == "[":
        return _after_class(source, index)
    if char == "(":
        return _closing(source, index) + 1
    return index + 1


def _closing(source: str, opening: int) -> int:
    """The index of the parenthesis closing the group opened at `opening`."""
    index = opening + 1
    while index < len(source):
        if source[index] == ")":
            return index
        index = _next_token(source, index)
    raise ValueError("unbalanced parentheses")


def _split(source: str) -> list[str]:
    """The top-level alternatives of a pattern."""
    parts: list[str] = []
    start = index = 0
    while index < len(source):
        if source[index] == "|":
            parts.append(source[start:index])
            start = index + 1
            index += 1
        else:
            index = _next_token(source, index)
    parts.append(source[start:])
    return parts


def _scan(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Like pattern.finditer(text), but only matches that start a word."""
    position = 0
    while (match := pattern.search(text, position)) is not None:
        start, end = match.span()
        if start > 0 and _WORD.match(text, start - 1):
            position = start + 1
            continue
        yield match
        position = end if end > start else start + 1


_APOSTROPHE = "['\u2019]"  # what _regex makes of an apostrophe
_SPECIAL = frozenset("\\[](){}|?*+.^$")
# How many characters of a match's start _heads looks for, and how many heads
# a rule may have before it is scanned whole (a pattern such as (a|b)(c|d)...
# would have ever more).
_HEAD_LENGTH = 5
_MAX_HEADS = 500
Head = tuple[str, ...]


def _heads(source: str) -> list[Head] | None:
    """How a match of `source` can start: every match starts with one of
    these heads (up to _HEAD_LENGTH characters, an apostrophe class
    counting as one); None when a match could start with anything."""
    heads: list[Head] = []
    for alternative in _split(source):
        found = _sequence_heads(alternative, _HEAD_LENGTH)
        if any(not head for head, _ in found):
            return None
        heads.extend(head for head, _ in found)
        if len(heads) > _MAX_HEADS:
            return None
    return heads


def _sequence_heads(sequence: str, length: int) -> list[tuple[Head, bool]]:
    """The heads of a sequence (no top-level alternation) as (head,
    complete) pairs, complete when the head is the whole sequence. An empty,
    incomplete head means nothing is known from there on."""
    if not sequence:
        return [((), True)]
    if length <= 0:
        return [((), False)]
    end = _next_token(sequence, 0)
    token, rest = sequence[:end], sequence[end:]
    quantifier = rest[:1] if rest[:1] in ("?", "*", "+", "{") else ""
    if quantifier == "{":
        return [((), False)]
    if quantifier:
        # lazy ("??") and possessive ("?+") forms can match the same texts
        rest = rest[2:] if rest[1:2] in ("?", "+") else rest[1:]
    if token == _APOSTROPHE or (len(token) == 1 and token not in _SPECIAL):
        if quantifier in ("?", "*"):
            return [((), False)]
        if quantifier == "+":
            return [((token,), False)]
        return [((token, *head), complete) for head, complete in _sequence_heads(rest, length - 1)]
    if not token.startswith("(?:"):
        return [((), False)]  # a class, an escape, a look-around, a capturing group ...
    found: list[tuple[Head, bool]] = []
    for alternative in _split(token[3:-1]):
        for head, complete in _sequence_heads(alternative, length):
            if complete and quantifier in ("", "?"):
                found.extend(
                    ((*head, *more), done)
                    for more, done in _sequence_heads(rest, length - len(head))
                )
            else:
                found.append((head, False))
    if quantifier in ("?", "*"):
        found.extend(_sequence_heads(rest, length))  # the group may be skipped
    return found


def _spellings(head: Head) -> list[str]:
    """The strings a head stands for (an apostrophe class is either one)."""
    found = [""]
    for token in head:
        choices = ("'", "\u2019") if token == _APOSTROPHE else (token,)
        found = [start + choice for start in found for choice in choices]
    return found


@dataclass(frozen=True)
class _Starts:
    """The heads of the pattern rules (indexes into RuleSet.rules) in one
    automaton, and the rules whose heads are not known, which are scanned."""

    automaton: AhoCorasick | None
    # For each string of the automaton, the rules it is a head of.
    rules_of: tuple[tuple[int, ...], ...]
    scanned: tuple[int, ...]

    @classmethod
    def of(cls, rules: Sequence[CompiledRule]) -> _Starts:
        heads: dict[str, set[int]] = {}
        scanned: list[int] = []
        for index, rule in enumerate(rules):
            if not rule.source:
                continue
            found = _heads(rule.source)
            if found is None:
                scanned.append(index)
                continue
            for head in found:
                for spelling in _spellings(head):
                    heads.setdefault(spelling, set()).add(index)
        strings = sorted(heads)
        return cls(
            automaton=AhoCorasick(strings) if strings else None,
            rules_of=tuple(tuple(sorted(heads[string])) for string in strings),
            scanned=tuple(scanned),
        )

    def spans(self, rules: Sequence[CompiledRule], text: str) -> dict[int, list[tuple[int, int]]]:
        """Each pattern rule's matches (by index), the ones _scan finds: a
        rule's next match starts where its previous one ended."""
        starts: dict[int, set[int]] = {}
        if self.automaton is not None:
            for string, start, _end in self.automaton.find_matches_as_indexes(
                text, overlapping=True
            ):
                if start > 0 and _WORD.match(text, start - 1):
                    continue
                for index in self.rules_of[string]:
                    starts.setdefault(index, set()).add(start)
        spans: dict[int, list[tuple[int, int]]] = {}
        for index, rule in enumerate(rules):
            if rule.pattern is None:
                continue
            if index in self.scanned:
                spans[index] = [match.span() for match in _scan(rule.pattern, text)]
                continue
            found = spans[index] = []
            done = 0
            for start in sorted(starts.get(index, ())):
                if start >= done and (match := rule.pattern.match(text, start)):
                    found.append(match.span())
                    done = max(match.end(), start + 1)
        return spans


@dataclass(frozen=True)
class RuleSet:
    language: str
    rules: tuple[CompiledRule, ...]
    starts: _Starts
    # The person-agent rules, with their indexes in `rules`.
    agents: tuple[tuple[int, CompiledRule], ...]


@functools.cache
def _ruleset(language: str, organisation: str) -> RuleSet:
    rules = tuple(_compile(rule) for rule in load_rules(language, organisation))
    agents = tuple((i, rule) for i, rule in enumerate(rules) if rule.rule.type == "person-agent")
    return RuleSet(language, rules, _Starts.of(rules), agents)


def ruleset(language: str) -> RuleSet:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}")
    return _ruleset(language, str(settings.BLAMELESS_RULES or ""))


_MENTION = r"@\w[\w.\-]*\w|@\w"


def _trie(words: Iterable[Sequence[str]], piece: Callable[[str], str]) -> list[str]:
    """Alternatives matching exactly `words` (sequences of tokens, each
    matched by `piece(token)`), shaped as a trie: each alternative starts
    with a different token, and a longer word is tried first."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for token in word:
            node = node.setdefault(token, {})
        node[""] = {}

    def alternatives(node: dict[str, Any]) -> list[str]:
        return [piece(token) + rest(child) for token, child in sorted(node.items()) if token]

    def rest(node: dict[str, Any]) -> str:
        options = alternatives(node)
        if not options:
            return ""
        if len(options) == 1 and "" not in node:
            return options[0]
        return f"(?:{'|'.join(options)})" + ("?" if "" in node else "")

    return alternatives(root)


def _name_piece(char: str) -> str:
    return r"\s+" if char == " " else re.escape(char)


def _variants(names: Iterable[str]) -> set[str]:
    """Names as matched: lowercased, spaces collapsed, without a leading @,
    and for a name of several words each part of 3 letters or more alone
    (given or family name)."""
    variants: set[str] = set()
    for name in names:
        name = " ".join(name.strip().lstrip("@").split()).lower()
        if len(name) < 2:
            continue
        variants.add(name)
        parts = name.split()
        if len(parts) > 1:
            variants.update(part for part in parts if len(part) >= 3)
    return variants


def _names_pattern(alternatives: Sequence[str]) -> re.Pattern[str]:
    # "@nadia" is not the start of "@nadia.k": a name ends where no word goes on.
    return re.compile(rf"(?<![\w@])(?:{'|'.join(alternatives)})(?![\w]|[.\-]\w)", FLAGS)


@functools.lru_cache(maxsize=256)
def _people_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """Names given with the text (participants, names the author adds),
    their parts and usernames, with or without @, and any other @mention;
    matched against lowercased text, whatever their case in it."""
    variants = _variants(names)
    words = [*variants, *(f"@{v}" for v in variants)]
    return _names_pattern([*_trie(words, _name_piece), _MENTION])


# A name that is one word of letters only: it may also be a word of the
# language ("will", "may", "mark", "pierre", "claire").
_ONE_WORD = re.compile(r"[^\W\d_]+")
# What may not follow a name: more of a word, or a dot or dash going on with
# one ("@nadia" is not the start of "@nadia.k").
_NAME_GOES_ON = re.compile(r"\w|[.\-]\w")
_SPACE_RUN = re.compile(r"\s")


class _Accounts(NamedTuple):
    """The organisation's accounts' names in one automaton (None when there
    are none), and which of them (indexes) count only where written with a
    capital."""

    automaton: AhoCorasick | None
    capitalised: frozenset[int]


@functools.lru_cache(maxsize=4)
def _accounts(names: tuple[str, ...]) -> _Accounts:
    # Few distinct tuples: the accounts change rarely, and every request
    # passes the same names. An Aho-Corasick automaton, not a pattern: a
    # trie-shaped pattern of 15,000 names took 2 s to compile and 40 ms to
    # read a 20-page postmortem; the automaton takes milliseconds for both.
    variants = sorted(_variants(names))
    if not variants:
        return _Accounts(None, frozenset())
    # Anyone writing the text may name any account, participant or not; but
    # an account's first name, family name or username may also be a word of
    # the language (an account named Will or May: "the deploy will fail",
    # "it may have broken"). Hotwash ships no dictionary of English and
    # French to tell which, so every one-word name of letters only is a
    # person only where it is written with a capital ("Will broke the
    # deploy"): lowercase, it is taken for the word. The rules' `before` and
    # `after` then decide whether it stands where a person acts (the agent
    # of a failure) or in a neutral role ("Will paged the storage team").
    # Names with a digit, dot, hyphen or space ("sam.okafor", "jdoe2",
    # "Sam Okafor") are words of no language and match in any case. Names
    # given with the text (`names`) match in any case: the author chose them.
    capitalised = frozenset(i for i, v in enumerate(variants) if _ONE_WORD.fullmatch(v))
    return _Accounts(AhoCorasick(variants), capitalised)


def _people(pattern: re.Pattern[str], text: str) -> Iterator[tuple[int, int]]:
    """Spans of names and mentions, each starting a word (not after @ either)."""
    for match in _scan(pattern, text):
        start = match.start()
        if start > 0 and text[start - 1] == "@":
            continue
        yield match.span()


def _account_spans(accounts: _Accounts, original: str, text: str) -> Iterator[tuple[int, int]]:
    """Where the accounts' names are written as names (see _accounts): each
    a whole word (not after @ either: @mentions are found with `names`),
    overlapping ones all given (_leftmost_longest chooses). Words of a name
    are matched across one space, tab or line break each."""
    if accounts.automaton is None:
        return
    haystack = _SPACE_RUN.sub(" ", text)  # one character for one: offsets kept
    for index, start, end in accounts.automaton.find_matches_as_indexes(haystack, overlapping=True):
        if start > 0 and (_WORD.match(text, start - 1) or text[start - 1] == "@"):
            continue
        if _NAME_GOES_ON.match(text, end):
            continue
        if index in accounts.capitalised and not original[start].isupper():
            continue
        yield start, end


def _leftmost_longest(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans that do not overlap one another, a longer one kept over a
    shorter one at the same place ("Sam Okafor" over "Sam")."""
    kept: list[tuple[int, int]] = []
    done = 0
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if start >= done:
            kept.append((start, end))
            done = end
    return kept


# --- linting --------------------------------------------------------------------

# A sentence ends at a run of . ! ? ; : followed by a space (or the end), or at
# a line break. The run is only tried from its first character (the
# look-behind): tried from each of its characters, a long run that no space
# follows was read over and over.
_BOUNDARY = re.compile(r"(?<![.!?;:])[.!?;:]++(?=\s|\Z)|\n")
_SPACE = re.compile(r"\s")
_NOT_SPACE = re.compile(r"\S")
# A "sentence" longer than this (a text without full stops: a pasted chat, a
# log) is read as pieces of MAX_SENTENCE to 2 * MAX_SENTENCE characters, cut
# after a space, so that a match's exceptions and conditions are looked for
# near it, not 100 kB away. Prose sentences are far shorter (the longest in
# the labelled sets has 143 characters), so they are never cut.
MAX_SENTENCE = 1_000


def _cuts(text: str, low: int, high: int) -> Iterator[int]:
    """Where the sentence [low, high) is cut into pieces (nowhere if it is
    short): after the first space past MAX_SENTENCE characters, or right at
    2 * MAX_SENTENCE when there is none (one very long word)."""
    while high - low > MAX_SENTENCE:
        space = _SPACE.search(text, low + MAX_SENTENCE, min(high - 1, low + 2 * MAX_SENTENCE))
        low = space.end() if space else low + MAX_SENTENCE
        yield low


class _Sentences:
    """Sentence spans of a text (long ones cut, see MAX_SENTENCE), found once;
    `around(pos)` is the span holding a position. What a rule asks about a
    whole sentence (does a pattern occur in it, is it a question, where does
    its first word start) is worked out once per sentence and kept, not
    again for every match in it: that made a text with many matches in one
    long sentence quadratic."""

    def __init__(self, text: str) -> None:
        self.text = text
        ends = [match.end() for match in _BOUNDARY.finditer(text)]
        starts = [0, *ends]
        ends.append(len(text))
        if max(map(operator.sub, ends, starts)) > MAX_SENTENCE:
            pieces: list[int] = []
            for low, high in zip(starts, ends, strict=True):
                pieces.append(low)
                if high - low > MAX_SENTENCE:
                    pieces.extend(_cuts(text, low, high))
            starts = pieces
        self.starts = starts
        self.ends = [*starts[1:], len(text)]
        self._found: dict[tuple[int, int], bool] = {}
        self._questions: dict[int, bool] = {}
        self._first_words: dict[int, int] = {}

    def around(self, position: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, position) - 1
        return self.starts[index], self.ends[index]

    def has(self, pattern: re.Pattern[str], sentence: tuple[int, int]) -> bool:
        """Whether `pattern` occurs in the sentence."""
        key = (id(pattern), sentence[0])  # a pattern hashes its whole program
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = pattern.search(self.text, *sentence) is not None
        return found

    def is_question(self, sentence: tuple[int, int]) -> bool:
        """Whether the sentence ends with a question mark (spaces aside)."""
        low, high = sentence
        question = self._questions.get(low)
        if question is None:
            last = high - 1
            while last >= low and self.text[last].isspace():
                last -= 1
            question = self._questions[low] = last >= low and self.text[last] == "?"
        return question

    def starts_at(self, sentence: tuple[int, int], position: int) -> bool:
        """Whether only spaces come before `position` in the sentence."""
        low, high = sentence
        first = self._first_words.get(low)
        if first is None:
            word = _NOT_SPACE.search(self.text, low, high)
            first = self._first_words[low] = word.start() if word else high
        return first >= position


class _Name(NamedTuple):
    """A participant's name or an @mention where it occurs, with what the
    person-agent and mention rules read around it (found once for all of
    them)."""

    start: int
    end: int
    sentence: tuple[int, int]
    # Up to WINDOW characters before and after it in its sentence.
    before: str
    after: str
    # The person-agent rules (indexes) by which it is the agent of a failure.
    agent_of: frozenset[int]


_NOBODY: frozenset[int] = frozenset()


def _name(
    rules: RuleSet,
    sentences: _Sentences,
    start: int,
    end: int,
    seen: dict[tuple[str, str], frozenset[int]],
) -> _Name:
    text = sentences.text
    sentence = low, high = sentences.around(start)
    before = text[max(low, start - WINDOW) : start]
    after = text[end : min(high, end + WINDOW)]
    # `before` patterns read what a colon introduces with what comes before
    # the colon: "Root cause: Jens."
    lead = before
    if sentences.starts_at(sentence, start) and text[max(0, low - 8) : low].rstrip().endswith(":"):
        lead = text[max(0, start - WINDOW) : start]
    # A name is often surrounded by the same words again (a list, a log):
    # what they say about it is worked out once.
    agent_of = seen.get((after, lead))
    if agent_of is None:
        found = frozenset(
            index
            for index, rule in rules.agents
            if (rule.after is not None and rule.after.match(after))
            or (rule.before is not None and rule.before.search(lead))
        )
        agent_of = seen[after, lead] = found or _NOBODY
    return _Name(start, end, sentence, before, after, agent_of)


def _excepted(
    rule: CompiledRule,
    sentences: _Sentences,
    start: int,
    end: int,
    sentence: tuple[int, int],
    name: _Name | None = None,
) -> bool:
    """Whether an exception (or an unmet condition) of the rule keeps the
    match at [start, end) from being a finding."""
    text = sentences.text
    low, high = sentence
    if rule.when is not None and not sentences.has(rule.when, sentence):
        return True
    if rule.unless is not None:
        if sentences.has(rule.unless, sentence):
            return True
        # A question is judged with the sentence that answers it.
        answered = high < len(text) and sentences.is_question(sentence)
        if answered and sentences.has(rule.unless, sentences.around(high)):
            return True
    if rule.unless_before is not None:
        before = name.before if name else text[max(low, start - WINDOW) : start]
        if rule.unless_before.search(before):
            return True
    if rule.unless_after is None:
        return False
    after = name.after if name else text[end : min(high, end + WINDOW)]
    return rule.unless_after.match(after) is not None


def _matches(
    rule: CompiledRule,
    sentences: _Sentences,
    names: Sequence[_Name],
    spans: Iterable[tuple[int, int]],
) -> Iterator[tuple[int, int]]:
    """A rule's findings. `spans` are a pattern rule's matches; `names` are
    the names this person-agent rule makes agents of, or the @mentions for a
    mention rule."""
    if rule.source:
        for start, end in spans:
            if not _excepted(rule, sentences, start, end, sentences.around(start)):
                yield start, end
        return
    mention = rule.rule.type == "mention"
    for name in names:
        if mention and (rule.context is None or not sentences.has(rule.context, name.sentence)):
            continue
        if not _excepted(rule, sentences, name.start, name.end, name.sentence, name):
            yield name.start, name.end


def _key(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({name for name in names if name and name.strip()}))


def lint(
    text: str,
    language: str = "en",
    *,
    names: Iterable[str] = (),
    accounts: Iterable[str] = (),
) -> list[Finding]:
    """Blameful wording in `text`, sorted by position, with the message and
    suggestion in `language` (whose rules are used). `names` are people's
    names given with the text (participants, names its author adds), found
    whatever their case; `accounts` the names of the organisation's accounts
    (hotwash.blameless.people.organisation_names), found where written as a
    name (see _accounts). A span is flagged once per category: when two
    rules of one category flag it, the first in the rule files is kept."""
    rules = ruleset(language)
    original, text = text, _lowered(text)
    sentences = _Sentences(text)
    pattern = _people_pattern(_key(names))
    # The accounts as given, not sorted again: thousands of names, the same
    # tuple for every text of a request (organisation_names sorts them).
    known = _accounts(tuple(accounts))
    found = [*_people(pattern, text), *_account_spans(known, original, text)]
    # Names and mentions are found once, for every person-agent and mention rule.
    seen: dict[tuple[str, str], frozenset[int]] = {}
    people = [_name(rules, sentences, start, end, seen) for start, end in _leftmost_longest(found)]
    # Each person-agent rule looks only at the names it makes agents of, and
    # each mention rule at the @mentions.
    agents: dict[int, list[_Name]] = {}
    for name in people:
        for index in name.agent_of:
            agents.setdefault(index, []).append(name)
    mentions = [name for name in people if text[name.start] == "@"]
    # The pattern rules' matches, found where their heads start.
    spans = rules.starts.spans(rules.rules, text)
    findings: list[Finding] = []
    naming_spans: set[tuple[int, int]] = set()
    # "because Kevin deleted ..." is naming by two rules: listed once.
    flagged: set[tuple[int, int, str]] = set()
    # person-agent rules first, so a mention rule does not repeat their spans.
    ordered = sorted(enumerate(rules.rules), key=lambda item: item[1].rule.type != "person-agent")
    for index, rule in ordered:
        kind, rule_id, category = rule.rule.type, rule.rule.id, rule.rule.category
        message = rule.rule.message.get(language)
        suggestion = rule.rule.suggestion.get(language)
        candidates = agents.get(index, []) if kind == "person-agent" else mentions
        for start, end in _matches(rule, sentences, candidates, spans.get(index, ())):
            if kind == "mention" and (start, end) in naming_spans:
                continue
            if (start, end, category) in flagged:
                continue
            flagged.add((start, end, category))
            if kind == "person-agent":
                naming_spans.add((start, end))
            excerpt = original[start:end]
            findings.append(Finding(start, end, rule_id, category, excerpt, message, suggestion))
    findings.sort(key=operator.attrgetter("start", "end", "rule"))
    return findings


# --- Markdown -------------------------------------------------------------------

_BACKTICKS = re.compile(r"`+")
_NOT_NEWLINE = re.compile(r"[^\n]")


def _blanked(code: str) -> str:
    return _NOT_NEWLINE.sub(" ", code)


def _inline_code(text: str) -> Iterator[tuple[int, int]]:
    """Inline code spans: a run of backticks, or the tail of one, up to the
    next run of exactly that length. The same spans as the expression
    (`+)(?!`).+?(?<!`)\1(?!`) finds, in one pass: that expression, tried
    from every backtick of runs that nothing closes, was quadratic."""
    runs = [match.span() for match in _BACKTICKS.finditer(text)]
    # For each run, from the last: its longest tail that a later run of the
    # same length closes (the expression tries the whole run first, then
    # ever shorter tails), as (where the span starts, the closing run).
    closed_by: list[tuple[int, int] | None] = [None] * len(runs)
    nearest: dict[int, int] = {}  # length -> the nearest later run of that length
    for index in range(len(runs) - 1, -1, -1):
        start, end = runs[index]
        for length in range(end - start, 0, -1):
            if (closer := nearest.get(length)) is not None:
                closed_by[index] = (end - length, closer)
                break
        nearest[end - start] = index
    index = 0
    while index < len(runs):
        span = closed_by[index]
        if span is None:
            index += 1
            continue
        start, closer = span
        yield start, runs[closer][1]
        index = closer + 1


def blank_code(markdown: str) -> str:
    """The text with Markdown code (fenced and indented blocks, as the page
    renders them, and inline code) replaced by spaces, newlines kept: quoted
    logs and commands are not prose, and offsets and line numbers still
    point into the original."""
    starts = markdown_blocks.line_starts(markdown)
    parts: list[str] = []
    done = 0
    for block in markdown_blocks.code_blocks(markdown):
        # A fence opened on the last line, with no line break after it, holds
        # no code: its line stays text, so a run of backticks or tildes does
        # not hide the words after it.
        if block.fenced and block.start == len(starts) - 1:
            continue
        start = starts[block.start]
        end = starts[block.end] if block.end < len(starts) else len(markdown)
        parts += [markdown[done:start], _blanked(markdown[start:end])]
        done = end
    parts.append(markdown[done:])
    text = "".join(parts)
    parts = []
    done = 0
    for start, end in _inline_code(text):
        parts += [text[done:start], _blanked(text[start:end])]
        done = end
    parts.append(text[done:])
    return "".join(parts)


class LineIndex:
    """1-based line and column of offsets in a text: the line starts are
    found once and each offset is placed among them by bisection (counting
    the line breaks before every finding again was quadratic)."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(match.end() for match in re.finditer("\n", text))]

    def locate(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def lint_markdown(
    markdown: str,
    language: str = "en",
    *,
    names: Iterable[str] = (),
    accounts: Iterable[str] = (),
) -> list[Finding]:
    """`lint` on a Markdown document, ignoring its code; excerpts come from
    the original text."""
    return [
        Finding(
            start=f.start,
            end=f.end,
            rule=f.rule,
            category=f.category,
            excerpt=markdown[f.start : f.end],
            message=f.message,
            suggestion=f.suggestion,
        )
        for f in lint(blank_code(markdown), language, names=names, accounts=accounts)
    ]

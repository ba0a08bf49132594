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

Blame told as a story has no blame word: someone acts and something goes
wrong. The agents are found first: people (the names given, the accounts',
@mentions, and words written like a first name: _capitalised) and roles (the
rule files' `roles`: "the SRE on call", "l'équipe réseau"). The agent rules
(`person-agent`, `role-agent`) read what comes after and before each agent
(its act, past an apposition or a relative clause: _acts), and, with
`consequence`, whether a harm is told beyond the act or in the next sentence
of the story (_harm_told), in their words or, with `model: true`, as the
story model judges it (hotwash.blameless.stories). A finding inside
quotation marks in a sentence that talks about the quoted phrase (the rule
files' `quoting`) is dropped. docs/blameless.md explains it for users.

Speed (bench/lint_quality.py times a 20-page postmortem against 50 ms): case
does not matter because every pattern is matched, without re.IGNORECASE, against a
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
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from ahocorasick_rs import AhoCorasick
from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hotwash.blameless.stories import Verdict, story_model
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
Category = Literal[
    "naming", "role", "human-error", "counterfactual", "judgement", "blame", "why-question"
]
AgentType = Literal["person-agent", "role-agent"]
AGENT_TYPES: tuple[AgentType, ...] = ("person-agent", "role-agent")

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
    their matches; `person-agent` flags a person's name (a participant's,
    an account's, an @mention, or a capitalised first name: see _capitalised)
    that `before` or `after` shows to be the agent of a failure;
    `role-agent` does the same for a role, a team or a kind of person (the
    rule file's `roles`: "the DBA", "the mobile team", "la stagiaire");
    `mention` flags an @mention in a sentence that matches `context`.
    Any rule with `when` only flags a match in a sentence that also matches
    one of those patterns; with `consequence`, only a match whose sentence,
    or the next sentence of the same line, tells a harm (the act is
    neutral, its outcome is not: "Ben changed the batch size. The queue
    overflowed."), in those words or, with `model: true`, as the story
    model judges it. `unless` is also looked for in the sentence that
    follows a question ("Who is responsible? That is the wrong question.").
    """

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    category: Category
    type: Literal["regex", "phrases", "person-agent", "role-agent", "mention"] = "regex"
    pattern: str = ""
    phrases: list[str] = []
    unless: list[str] = []
    unless_before: list[str] = []
    unless_after: list[str] = []
    before: list[str] = []
    after: list[str] = []
    context: list[str] = []
    when: list[str] = []
    consequence: list[str] = []
    # Where the harm must be told: anywhere in the sentence; after the agent
    # ("Nadia's migration locked the table"); or after the act's own clause
    # ("Ops restarted the failed consumers" tells a repair, "the mobile team
    # shipped a build that crashed" a harm). With either of the last two, the
    # words before the agent count too when a subordinating word opens the
    # agent's clause ("The queue overflowed after Ben changed the batch
    # size"): see the rule files' `clause_openers` and `clause_breaks`.
    consequence_scope: Literal["sentence", "after-agent", "after-act"] = "sentence"
    # With `consequence`: when its words are not in the sentence, the story
    # model (hotwash.blameless.stories) decides whether the sentence tells a
    # harm; `evidence` then says which words it read as harm ("{words}").
    model: bool = False
    evidence: LocalisedText | None = None
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
        if self.type in AGENT_TYPES and not (self.before or self.after):
            raise ValueError(f"a {self.type} rule needs before or after patterns")
        if self.type == "mention" and not self.context:
            raise ValueError("a mention rule needs context patterns")
        if self.model and not self.consequence:
            raise ValueError("a rule with model: true needs consequence patterns")
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


# The rule files repeat long lists (YAML anchors: the acts, the harms, the
# mitigating acts of several rules): each distinct expression is compiled
# once per process, not once per rule (Python's own cache holds 512, fewer
# than the rules have). Each process compiles the rules once, on first use
# (or at its start, where the organisation has rule files: check_rules): each
# pattern is compiled once, as matched, and a mistake in it is reported then
# with its rule's id (_ruleset), not compiled a second time on its own to
# check it.
@functools.cache
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source, FLAGS)


@functools.cache
def _regex(text: str) -> str:
    """The pattern as compiled: in lower case, and an apostrophe also matches
    a typographic one."""
    return _lowercase_pattern(text).replace("'", "['\u2019]")


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


class Lexicon(NamedTuple):
    """Who the agent rules look at besides names: the rule files' `roles`
    (patterns for a role, a team or a kind of person) and `not_names`
    (capitalised words never taken for a first name: sentence openers,
    days, products), the shipped file's and the organisation's together."""

    roles: tuple[str, ...]
    not_names: frozenset[str]
    # Patterns of a sentence that talks about a quoted phrase instead of
    # using it ("Instead of 'ops forgot to renew', the timeline now reads
    # ..."): a finding inside quotation marks in such a sentence is dropped.
    quoting: tuple[str, ...] = ()
    # What opens a subordinate clause right before an agent ("after",
    # "when", "dès que"), and what ends an act's own clause ("," "and the",
    # "which", "et").
    clause_openers: tuple[str, ...] = ()
    clause_breaks: tuple[str, ...] = ()


def _words(data: dict[str, Any], key: str, path: Path) -> list[str]:
    items = data.get(key) or []
    if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
        raise ConfigurationError(f"Blameless rule file {path}: {key} must be a list of strings")
    return items


def load_lexicon(language: str, organisation: str = "") -> Lexicon:
    roles: list[str] = []
    quoting: list[str] = []
    openers: list[str] = []
    breaks: list[str] = []
    not_names: set[str] = set()
    for path in [RULES_DIR / f"{language}.yaml", *_organisation_files(organisation)]:
        data = read_mapping(path, "blameless rule file")
        if data.get("language") != language:
            continue
        lists = (
            ("roles", roles),
            ("quoting", quoting),
            ("clause_openers", openers),
            ("clause_breaks", breaks),
        )
        for key, patterns in lists:
            patterns.extend(_words(data, key, path))
        not_names.update(word.lower() for word in _words(data, "not_names", path))
    return Lexicon(
        tuple(roles), frozenset(not_names), tuple(quoting), tuple(openers), tuple(breaks)
    )


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
    consequence: re.Pattern[str] | None


# A match may end on an elided word ("d'", "qu'") glued to the next one.
_END = r"(?:(?<=['\u2019])|(?!\w))"


def _bounded(source: str) -> str:
    return rf"(?<!\w)(?:{source}){_END}"


def _compile_before(patterns: Sequence[str]) -> re.Pattern[str] | None:
    # Ends right before the match, give or take spaces and dashes.
    return _compiled(rf"(?<!\w)(?:{_alternation(patterns)})[\s\-\u2013]*\Z") if patterns else None


def _compile_after(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return _compiled(rf"[\s\-\u2013]*(?:{_alternation(patterns)})(?!\w)") if patterns else None


def _compile_anywhere(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return _compiled(_bounded(_alternation(patterns))) if patterns else None


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
        pattern=_compiled(_bounded(source)) if source else None,
        unless=_compile_anywhere(rule.unless),
        unless_before=_compile_before(rule.unless_before),
        unless_after=_compile_after(rule.unless_after),
        before=_compile_before(rule.before),
        after=_compile_after(rule.after),
        context=_compile_anywhere(rule.context),
        when=_compile_anywhere(rule.when),
        consequence=_compile_anywhere(rule.consequence),
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
        if not _starts_word(text, start):
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
        # Where each of the automaton's strings starts a word, then each
        # rule's starts as the union of its strings' (in C, not one Python
        # step per rule and place: a word is a head of several rules).
        found: dict[int, list[int]] = {}
        if self.automaton is not None:
            for string, start, _end in self.automaton.find_matches_as_indexes(
                text, overlapping=True
            ):
                # _starts_word, inlined: this runs for every head found.
                before = text[start - 1] if start else " "
                if not (before.isalnum() or before == "_"):
                    found.setdefault(string, []).append(start)
        starts: dict[int, set[int]] = {}
        for string, places in found.items():
            for index in self.rules_of[string]:
                starts.setdefault(index, set()).update(places)
        spans: dict[int, list[tuple[int, int]]] = {}
        for index, rule in enumerate(rules):
            if rule.pattern is None:
                continue
            if index in self.scanned:
                spans[index] = [match.span() for match in _scan(rule.pattern, text)]
                continue
            spans[index] = _matched_at(rule.pattern, text, starts.get(index, ()))
        return spans


def _starts_word(text: str, start: int) -> bool:
    """Whether no word character (\\w: a letter, a digit or "_") comes
    right before `start`; string methods, not a regular expression, for it
    is asked at every head the automata find (inlined in the two loops that
    ask it most)."""
    if start == 0:
        return True
    before = text[start - 1]
    return not (before.isalnum() or before == "_")


def _matched_at(
    pattern: re.Pattern[str], text: str, starts: Iterable[int]
) -> list[tuple[int, int]]:
    """The pattern's matches tried at `starts`, in order, each next one
    starting where the previous one ended (as _scan finds them)."""
    found: list[tuple[int, int]] = []
    done = 0
    match = pattern.match
    for start in sorted(starts):
        if start >= done and (matched := match(text, start)):
            found.append(matched.span())
            done = max(matched.end(), start + 1)
    return found


@dataclass(frozen=True)
class _Finder:
    """One pattern's matches as _scan finds them, tried only where one of its
    heads starts a word (found by an automaton in one pass), not searched
    for at every position: the roles ("the SRE on call", "l'équipe réseau")
    are a long alternation that a search tried at each of the text's words.
    A pattern whose heads are not known is searched as before."""

    pattern: re.Pattern[str]
    automaton: AhoCorasick | None

    @classmethod
    def of(cls, source: str, pattern: re.Pattern[str]) -> _Finder:
        heads = _heads(source)
        if heads is None:
            return cls(pattern, None)
        strings = sorted({spelling for head in heads for spelling in _spellings(head)})
        return cls(pattern, AhoCorasick(strings))

    def spans(self, text: str) -> list[tuple[int, int]]:
        if self.automaton is None:
            return [match.span() for match in _scan(self.pattern, text)]
        starts = set()
        for _, start, _ in self.automaton.find_matches_as_indexes(text, overlapping=True):
            before = text[start - 1] if start else " "  # _starts_word, inlined
            if not (before.isalnum() or before == "_"):
                starts.add(start)
        return _matched_at(self.pattern, text, starts)


@dataclass(frozen=True)
class RuleSet:
    language: str
    rules: tuple[CompiledRule, ...]
    starts: _Starts
    # The person-agent and role-agent rules, with their indexes in `rules`,
    # and all their `before` patterns in one, to rule them all out at once
    # for most names.
    agents: dict[AgentType, tuple[tuple[int, CompiledRule], ...]]
    any_before: dict[AgentType, re.Pattern[str] | None]
    any_after: dict[AgentType, re.Pattern[str] | None]
    # Where a role, a team or a kind of person is named (None: no roles).
    roles: _Finder | None
    not_names: frozenset[str]
    quoting: re.Pattern[str] | None
    clause_opener: re.Pattern[str] | None
    clause_break: re.Pattern[str] | None


@functools.cache
def _ruleset(language: str, organisation: str) -> RuleSet:
    rules = tuple(_compile_rule(rule) for rule in load_rules(language, organisation))
    try:
        return _with_lexicon(language, rules, load_lexicon(language, organisation))
    except re.error as exc:
        raise ConfigurationError(
            f"Blameless rule files ({language}): a pattern of roles, quoting, clause_openers "
            f"or clause_breaks is not a valid regular expression: {exc}"
        ) from None


def _compile_rule(rule: Rule) -> CompiledRule:
    try:
        return _compile(rule)
    except re.error as exc:
        raise ConfigurationError(
            f"Blameless rule {rule.id!r}: a pattern is not a valid regular expression: {exc}"
        ) from None


def _with_lexicon(language: str, rules: tuple[CompiledRule, ...], lexicon: Lexicon) -> RuleSet:
    agents = {
        kind: tuple((i, rule) for i, rule in enumerate(rules) if rule.rule.type == kind)
        for kind in AGENT_TYPES
    }
    any_before = {
        kind: _compile_before([p for _, rule in agents[kind] for p in rule.rule.before])
        for kind in AGENT_TYPES
    }
    any_after = {
        kind: _compile_after([p for _, rule in agents[kind] for p in rule.rule.after])
        for kind in AGENT_TYPES
    }
    return RuleSet(
        language=language,
        rules=rules,
        starts=_Starts.of(rules),
        agents=agents,
        any_before=any_before,
        any_after=any_after,
        roles=_roles(lexicon.roles),
        not_names=lexicon.not_names,
        quoting=_compile_anywhere(lexicon.quoting),
        clause_opener=_compile_before(lexicon.clause_openers),
        # Punctuation among them: matched as written, word boundaries and all.
        clause_break=(
            _compiled(_alternation(lexicon.clause_breaks)) if lexicon.clause_breaks else None
        ),
    )


def _roles(roles: Sequence[str]) -> _Finder | None:
    if not roles:
        return None
    source = _alternation(roles)
    # \b rather than a look-behind (the roles start with a letter): when the
    # heads are not known, Python's re then skips what cannot start a word.
    return _Finder.of(source, _compiled(rf"\b(?:{source}){_END}"))


def ruleset(language: str) -> RuleSet:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}")
    return _ruleset(language, str(settings.BLAMELESS_RULES or ""))


def check_rules() -> None:
    """At start-up: stop on a mistake in the organisation's rule files.

    Only when there are some. The shipped files cannot be wrong in a
    release (the suite compiles them), and compiling both languages' rules
    costs about a third of a second of CPU, which every process would pay
    at its start, `hotwash migrate` as much as the web server; without
    organisation files they compile on first use, once per process."""
    if settings.BLAMELESS_RULES:
        for language in LANGUAGES:
            ruleset(language)


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
        if not _starts_word(text, start) or (start > 0 and text[start - 1] == "@"):
            continue
        if _NAME_GOES_ON.match(text, end):
            continue
        if index in accounts.capitalised and not original[start].isupper():
            continue
        yield start, end


# A word that starts with a capital (Latin letters, accented ones included),
# a hyphen between two parts allowed ("Jean-Luc"); _capitalised then keeps
# those shaped like a first name. No look-behind: tried at every position of
# a 1 MiB text, it cost more than the rest of the search.
_CAPITAL_WORD = re.compile(r"[A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f][^\W\d_]+(?:-[^\W\d_]+)?")
# What may not come right before a name (it is part of something else: a
# path, an address, a handle, an elision) or right after it.
_NOT_BEFORE_NAME = frozenset("@'\u2019.-/#_")
_NAME_CONTINUES = re.compile(r"[\w@]|[.\-/]\w")
# A French elision right before a name: "qu'Erwan", "d'Anaïs", "lorsqu'Inès".
_ELISION = re.compile(
    r"(?<!\w)(?:qu|d|l|j|n|s|m|t|c|jusqu|lorsqu|puisqu)['\u2019]\Z", re.IGNORECASE
)
# Words ending so are nouns ("Monitoring", "Replication", "Deployment"), not
# first names.
_NOUN_ENDINGS = ("ing", "tion", "sion", "ness", "ity", "ance", "ence", "ism", "ics")
# "Paiement", "Déploiement" but not "Clément": a noun ending so is longer.
_LONG_NOUN_ENDINGS = ("ment",)
# A capitalised word right after one of these is a product or a proper noun
# used as a noun ("the Orders service", "le Cloud"), not a person acting.
_DETERMINER = re.compile(
    r"(?<!\w)(?:the|a|an|our|their|this|that|these|those|its|your|my|le|la|les|un|une|du|des|"
    r"au|aux|ce|cet|cette|ces|notre|nos|votre|vos|leur|leurs|son|sa|ses|mon|ma|mes)\s+\Z"
)
# A plural noun's ending ("pods", "requests", "caches"), which first names
# seldom have ("Marcus", "Jonas", "Louis" end in a vowel and s).
_PLURAL = re.compile(r"(?:[^aiousàâäéèêëîïôöùûü\W]s|[^aiouyàâäéèêëîïôöùûü\W][ey]s)\Z")
_OPENING = re.compile(r"(?:\A|[.!?;:]\s+|\n)[\s>*#\-\d.)\[\]|]*\Z")


def _opens_sentence(text: str, start: int) -> bool:
    """Whether a word starts a sentence, a line or a list item."""
    return _OPENING.search(text, max(0, start - 12), start) is not None


def _capitalised(
    rules: RuleSet, original: str, text: str, known: Container[int] = ()
) -> list[tuple[int, int]]:
    """Words written like a first name, where the author gave no names
    ("Jo deployed at 5 pm on a Friday"): a capital then lower-case letters,
    not one of the rule files' `not_names` (sentence openers, days,
    products), not ending like a noun, not after a determiner, not a plural
    noun opening a sentence, and never written in lower case elsewhere in
    the text (then it is a word of the language: "Checkout failed ... the
    checkout service"). Whether it is a person acting is for the agent
    rules' `before` and `after` to say, as for any name."""
    found: list[tuple[int, int, str]] = []
    # What the word alone says, worked out once per distinct word ("The",
    # "We" and the same names come back again and again).
    shaped: dict[str, bool] = {}
    for match in _CAPITAL_WORD.finditer(original):
        start, end = match.span()
        if start in known:
            continue  # a name found already (given, an account's, a mention)
        word = match.group()
        key = text[start:end]
        like_a_name = shaped.get(word)
        if like_a_name is None:
            like_a_name = shaped[word] = _shaped_like_a_name(rules, word, key)
        if not like_a_name:
            continue
        glued = start > 0 and (
            original[start - 1] in _NOT_BEFORE_NAME or original[start - 1].isalnum()
        )
        if glued and not _ELISION.search(original, max(0, start - 8), start):
            continue
        if _NAME_CONTINUES.match(original, end):
            continue
        if _DETERMINER.search(text, max(0, start - 8), start):
            continue
        if _PLURAL.search(key) and _opens_sentence(text, start):
            continue  # "Requests failed", "Pods restarted"
        found.append((start, end, key))
    if not found:
        return []
    # A candidate the text also writes in lower case is a word of the
    # language: the distinct candidates, looked for in one pass.
    keys = sorted({key for _, _, key in found})
    written: set[str] = set()
    for index, start, end in AhoCorasick(keys).find_matches_as_indexes(original, overlapping=True):
        before = original[start - 1] if start else " "
        after = original[end] if end < len(original) else " "
        if not (before.isalnum() or after.isalnum()):
            written.add(keys[index])
    return [(start, end) for start, end, key in found if key not in written]


def _shaped_like_a_name(rules: RuleSet, word: str, key: str) -> bool:
    """Whether a capitalised word (`key` in lower case) may be a first name
    by its letters alone: "Jean-Luc" and "Hye-jin" are names; "GitHub",
    "SRE", "PostgreSQL" are not, nor the rule files' `not_names`, nor words
    ending like nouns ("Monitoring", "Replication")."""
    parts = word.split("-")
    if not (
        word[1:].replace("-", "").islower()
        or all(part[:1].isupper() and part[1:].islower() for part in parts)
    ):
        return False
    if key in rules.not_names or key.endswith(_NOUN_ENDINGS):
        return False
    return not (len(key) > 7 and key.endswith(_LONG_NOUN_ENDINGS))


def _role_spans(rules: RuleSet, text: str) -> Iterator[tuple[int, int]]:
    """Where the rule files' `roles` name a role, a team or a kind of person."""
    if rules.roles is not None:
        yield from rules.roles.spans(text)


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

    def __init__(
        self,
        text: str,
        language: str = "en",
        judge: Callable[[str], Verdict] | None = None,
        clauses: tuple[re.Pattern[str] | None, re.Pattern[str] | None] = (None, None),
    ) -> None:
        self.text = text
        self.language = language
        self.judge = judge
        # The rule files' clause_openers and clause_breaks (see _harm_told).
        self.clause_opener, self.clause_break = clauses
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
        self._found: dict[tuple[int, ...], bool] = {}
        self._clause_ends: dict[tuple[int, int], int | None] = {}
        self._questions: dict[int, bool] = {}
        self._first_words: dict[int, int] = {}
        self._verdicts: dict[int, Verdict] = {}

    def around(self, position: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, position) - 1
        return self.starts[index], self.ends[index]

    def has(self, pattern: re.Pattern[str], sentence: tuple[int, int]) -> bool:
        """Whether `pattern` occurs in the sentence (or any span of the text)."""
        key = (id(pattern), *sentence)  # a pattern hashes its whole program
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = pattern.search(self.text, *sentence) is not None
        return found

    def clause_end(self, position: int, high: int) -> int | None:
        """Where the clause that goes on at `position` ends before `high`
        (a clause_break), found once per place."""
        key = (position, high)
        if key not in self._clause_ends:
            found = None
            if self.clause_break is not None:
                match = self.clause_break.search(self.text, position, high)
                found = match.start() if match else None
            self._clause_ends[key] = found
        return self._clause_ends[key]

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

    def verdict(self, sentence: tuple[int, int]) -> Verdict:
        """The story model's verdict on the sentence with the one after it
        on its line (see _tells), judged once."""
        verdict = self._verdicts.get(sentence[0])
        if verdict is None:
            low, high = sentence
            following = _following(self, sentence)
            if following is not None:
                high = following[1]
            judge = self.judge or story_model(self.language).judge
            verdict = self._verdicts[low] = judge(self.text[low:high])
        return verdict

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
    # Up to WINDOW characters before and after it in its sentence; `after`
    # from where its act starts (past an apposition or a relative clause,
    # see _acts) when the agent rules found one there.
    before: str
    after: str
    # The agent rules (indexes) by which it is the agent of a failure: the
    # person-agent rules for a name, the role-agent rules for a role.
    agent_of: frozenset[int]


_NOBODY: frozenset[int] = frozenset()


def _name(
    rules: RuleSet,
    sentences: _Sentences,
    start: int,
    end: int,
    seen: dict[tuple[str, str], tuple[frozenset[int], str]],
    kind: AgentType = "person-agent",
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
    key = (after, lead)
    known = seen.get(key)
    if known is None:
        # Most names have none of the rules' `before` words in front of them,
        # and half have none of their acts after them: one search for all
        # the rules says so (see RuleSet.any_before and any_after).
        preceded = (any_before := rules.any_before[kind]) is not None and any_before.search(lead)
        any_after = rules.any_after[kind]
        known = seen[key] = (_NOBODY, after)
        for act in _acts(after):
            if not preceded and (any_after is None or any_after.match(act) is None):
                continue
            found = frozenset(
                index
                for index, rule in rules.agents[kind]
                if (rule.after is not None and rule.after.match(act))
                or (preceded and rule.before is not None and rule.before.search(lead))
            )
            if found:
                known = seen[key] = (found, act)
                break
    agent_of, act = known
    return _Name(start, end, sentence, before, act, agent_of)


# What may stand between an agent and its act: an apposition between commas
# ("Dolores, on her last day before leave, changed the schedule") or a
# relative clause ("the contractor who set up the server left ...", "It was
# Paolo who pushed ..."), whose end is not marked: the act is looked for at
# each of its next few words.
_APPOSITION = re.compile(r"\s*,[^,.;:!?\n]{1,80}?,", FLAGS)
_RELATIVE = re.compile(r"\s+(?:who|whose|that|qui|dont)\s", FLAGS)
_NEXT_WORD = re.compile(r"\s+\S+", FLAGS)
RELATIVE_WORDS = 8


def _acts(after: str) -> Iterator[str]:
    """Where the agent's act may start in the text after it: right there,
    after an apposition, or after one to RELATIVE_WORDS words of a relative
    clause."""
    yield after
    apposition = _APPOSITION.match(after)
    if apposition is not None:
        yield after[apposition.end() :]
    relative = _RELATIVE.match(after)
    if relative is not None:
        position = relative.end() - 1
        for _ in range(RELATIVE_WORDS):
            word = _NEXT_WORD.match(after, position)
            if word is None:
                break
            yield after[word.start() :]
            position = word.end()


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
    if rule.unless_after is not None:
        after = name.after if name else text[end : min(high, end + WINDOW)]
        if rule.unless_after.match(after) is not None:
            return True
    # Last: the most costly to find out (the story model may be asked).
    return rule.consequence is not None and not _harm_told(rule, sentences, sentence, start, end)


def _tells(sentences: _Sentences, pattern: re.Pattern[str], sentence: tuple[int, int]) -> bool:
    """Whether the sentence, or the next one on its line, matches: an
    act's outcome is often told right after it ("Priya pushed the config.
    Ten minutes later checkout was down."), but the next line of a list or
    a timeline is another fact."""
    if sentences.has(pattern, sentence):
        return True
    following = _following(sentences, sentence)
    return following is not None and sentences.has(pattern, following)


def _harm_told(
    rule: CompiledRule, sentences: _Sentences, sentence: tuple[int, int], start: int, end: int
) -> bool:
    """Whether the agent at [start, end) is told to have done harm: the
    rule's `consequence` words in its scope (see Rule.consequence_scope) or
    in the next sentence of the story, or, for a rule with `model: true`
    and a story that goes on beyond the act, the story model's verdict on
    the sentence."""
    assert rule.consequence is not None
    scope = rule.rule.consequence_scope
    if scope == "sentence":
        if _tells(sentences, rule.consequence, sentence):
            return True
        return rule.rule.model and sentences.verdict(sentence).harm
    low, high = sentence
    spans: list[tuple[int, int]] = []
    opener = sentences.clause_opener
    if opener is not None and sentences.has(opener, (max(low, start - WINDOW), start)):
        spans.append((low, start))  # "the queue overflowed after | Ben changed ..."
    if scope == "after-agent":
        spans.append((end, high))
    elif (clause_end := sentences.clause_end(end, high)) is not None:
        spans.append((clause_end, high))  # "..., and | the queue overflowed"
    following = _following(sentences, sentence)
    if following is not None:
        spans.append(following)
    if not spans:
        # Only the act's own words: the model may read them as harm, at its
        # stricter act threshold; never an entry of a timeline, a fact.
        return (
            rule.rule.model
            and not _timeline_entry(sentences, sentence)
            and sentences.verdict(sentence).act_harm
        )
    # The words first: a search of a span costs a fraction of the model's
    # verdict on the sentence and the next.
    if any(sentences.has(rule.consequence, span) for span in spans):
        return True
    return rule.rule.model and sentences.verdict(sentence).harm


def _following(sentences: _Sentences, sentence: tuple[int, int]) -> tuple[int, int] | None:
    """The sentence after this one, where it goes on with the same story. A
    line break starts another entry, and so does the next clause of a
    timeline: an entry that opens with a clock time ("14:26 Crash rate
    passed 8%; Guillermo halted the rollout"), or two facts that each have
    one ("Marco deployed the release at 13:00; the error rate rose at
    13:04")."""
    high = sentence[1]
    text = sentences.text
    if high >= len(text) or text[high - 1] == "\n" or _ENTRY.match(text, *sentence):
        return None
    following = sentences.around(high)
    if sentences.has(_CLOCK, sentence) and sentences.has(_CLOCK, following):
        return None
    return following


def _timeline_entry(sentences: _Sentences, sentence: tuple[int, int]) -> bool:
    """Whether the sentence has a clock time, or is on a line that opens
    with one ("14 h 02 : le stagiaire a poussé ...", cut at the colon)."""
    if sentences.has(_CLOCK, sentence):
        return True
    line = sentences.text.rfind("\n", 0, sentence[0]) + 1
    return _ENTRY.match(sentences.text, line, sentence[1]) is not None


# A time of day: "13:04", "9 h 30", "14h05", "5 pm"; and one that opens an
# entry of a timeline (after a list marker, if any).
_CLOCK = re.compile(r"(?<!\w)\d{1,2}(?::\d\d|\s?h\s?\d\d|\s?[ap]\.?m\b)", FLAGS)
_ENTRY = re.compile(r"[\s>*\-\u2013|]*(?:\*\*)?\d{1,2}(?::\d\d|\s?h\s?\d\d|\s?[ap]\.?m\b)", FLAGS)


def _matches(
    rule: CompiledRule,
    sentences: _Sentences,
    names: Sequence[_Name],
    spans: Iterable[tuple[int, int]],
    flagged: Container[tuple[int, int]] = (),
) -> Iterator[tuple[int, int]]:
    """A rule's findings. `spans` are a pattern rule's matches; `names` are
    the names (or roles) this agent rule makes agents of, or the @mentions
    for a mention rule. A name already `flagged` in the rule's category is
    not looked at again (it would be listed once anyway, and its exceptions
    may ask the story model)."""
    if rule.source:
        for start, end in spans:
            if not _excepted(rule, sentences, start, end, sentences.around(start)):
                yield start, end
        return
    mention = rule.rule.type == "mention"
    for name in names:
        if (name.start, name.end) in flagged:
            continue
        if mention and (rule.context is None or not sentences.has(rule.context, name.sentence)):
            continue
        if not _excepted(rule, sentences, name.start, name.end, name.sentence, name):
            yield name.start, name.end


# A quotation: typographic or French quotes, double quotes, or single quotes
# that open after a space and close before one (not an apostrophe).
_QUOTATION = re.compile(
    r"\u201c[^\u201d\n]{1,300}\u201d|\u00ab[^\u00bb\n]{1,300}\u00bb|\"[^\"\n]{1,300}\""
    r"|\u2018[^\u2019\n]{1,300}\u2019|(?<![\w'])'(?=\w)[^\n]{1,300}?(?<=[\w.!?])'(?!\w)"
)


_QUOTE_MARK = re.compile("[\"'\u201c\u00ab\u2018]")


def _quoted_mention(
    quoting: re.Pattern[str],
    sentences: _Sentences,
    quotes: Sequence[tuple[int, int]],
    finding: Finding,
) -> bool:
    """Whether a finding lies in a quotation (`quotes`, in text order) that
    its sentence talks about rather than uses: "we avoid phrasing like 'the
    new hire should have known'" reports words it rejects. Quotes may hold a
    full stop, so the sentence is read from the one before the finding to
    the one after."""
    index = bisect.bisect_right(quotes, (finding.start, len(sentences.text))) - 1
    if index < 0 or not quotes[index][0] < finding.start < finding.end < quotes[index][1]:
        return False
    sentence = sentences.around(finding.start)
    low = sentences.around(max(0, sentence[0] - 1))[0]
    high = sentences.around(min(len(sentences.text) - 1, sentence[1]))[1]
    return sentences.has(quoting, (low, high))


# How each language quotes the words a finding names.
_QUOTES = {"en": ("\u201c", "\u201d"), "fr": ("\u00ab\u00a0", "\u00a0\u00bb")}


def _evidence(rule: CompiledRule, sentences: _Sentences, start: int, language: str) -> str:
    """For a finding the story model decided, the sentence that names the
    words it read as harm (the rule's `evidence`); "" for any other."""
    if not rule.rule.model or rule.consequence is None or rule.rule.evidence is None:
        return ""
    sentence = sentences.around(start)
    if _tells(sentences, rule.consequence, sentence):
        return ""
    words = sentences.verdict(sentence).evidence
    if not words:
        return ""
    opening, closing = _QUOTES[language]
    quoted = ", ".join(f"{opening}{word}{closing}" for word in words)
    return " " + rule.rule.evidence.get(language).replace("{words}", quoted)


def _key(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({name for name in names if name and name.strip()}))


def lint(
    text: str,
    language: str = "en",
    *,
    names: Iterable[str] = (),
    accounts: Iterable[str] = (),
) -> list[Finding]:
    """Blameful wording in `text`: see _lint."""
    return _lint(text, language, names=names, accounts=accounts)


def _always_harm(text: str) -> Verdict:
    return Verdict(probability=1.0, harm=True, act_harm=True)


def _story_harm(text: str) -> Verdict:
    """Harm where a story goes on beyond the act, never in the act's words."""
    return Verdict(probability=1.0, harm=True, act_harm=False)


def _never_harm(text: str) -> Verdict:
    return Verdict(probability=0.0, harm=False)


def story_agents(text: str, language: str = "en", *, names: Iterable[str] = ()) -> StoryAgents:
    """Where a person or a role acts in the text as a `model: true` rule
    reads it: `acting`, whether such a rule would flag the text if a harm
    were told; `asked`, whether the story model decides it with its
    threshold (no harm in the rule's words, a story told beyond the act);
    `asked_act`, whether it decides it only with its act threshold (nothing
    told beyond the act). bench/train_stories.py trains the model on the
    acting sentences and chooses both thresholds where it is asked."""
    model_rules = {rule.rule.id for rule in ruleset(language).rules if rule.rule.model}

    def found(judge: Callable[[str], Verdict]) -> set[tuple[str, int]]:
        return {
            (f.rule, f.start)
            for f in _lint(text, language, names=names, judge=judge)
            if f.rule in model_rules
        }

    plain, story, harmful = found(_never_harm), found(_story_harm), found(_always_harm)
    return StoryAgents(
        acting=bool(harmful),
        asked=bool(story - plain),
        asked_act=bool(harmful - story - plain),
    )


class StoryAgents(NamedTuple):
    acting: bool
    asked: bool
    asked_act: bool


def _lint(
    text: str,
    language: str = "en",
    *,
    names: Iterable[str] = (),
    accounts: Iterable[str] = (),
    judge: Callable[[str], Verdict] | None = None,
) -> list[Finding]:
    """Blameful wording in `text`, sorted by position, with the message and
    suggestion in `language` (whose rules are used). `names` are people's
    names given with the text (participants, names its author adds), found
    whatever their case; `accounts` the names of the organisation's accounts
    (hotwash.blameless.people.organisation_names), found where written as a
    name (see _accounts). A span is flagged once per category: when two
    rules of one category flag it, the first in the rule files is kept.
    `judge` stands for the story model (training, tests)."""
    rules = ruleset(language)
    original, text = text, _lowered(text)
    sentences = _Sentences(text, language, judge, (rules.clause_opener, rules.clause_break))
    pattern = _people_pattern(_key(names))
    # The accounts as given, not sorted again: thousands of names, the same
    # tuple for every text of a request (organisation_names sorts them).
    known = _accounts(tuple(accounts))
    found = [*_people(pattern, text), *_account_spans(known, original, text)]
    found.extend(_capitalised(rules, original, text, {start for start, _ in found}))
    # Names, roles and mentions are found once, for every agent and mention rule.
    seen: dict[tuple[str, str], tuple[frozenset[int], str]] = {}
    people = [_name(rules, sentences, start, end, seen) for start, end in _leftmost_longest(found)]
    seen = {}
    roles = [
        _name(rules, sentences, start, end, seen, "role-agent")
        for start, end in _role_spans(rules, text)
    ]
    # Each agent rule looks only at the names or roles it makes agents of,
    # and each mention rule at the @mentions.
    agents: dict[int, list[_Name]] = {}
    for name in [*people, *roles]:
        for index in name.agent_of:
            agents.setdefault(index, []).append(name)
    mentions = [name for name in people if text[name.start] == "@"]
    # The pattern rules' matches, found where their heads start.
    spans = rules.starts.spans(rules.rules, text)
    findings: list[Finding] = []
    naming_spans: set[tuple[int, int]] = set()
    # "because Kevin deleted ..." is naming by two rules: listed once.
    flagged: set[tuple[int, int, str]] = set()
    by_category: dict[str, set[tuple[int, int]]] = {}
    # agent rules first, so a mention rule does not repeat their spans.
    ordered = sorted(enumerate(rules.rules), key=lambda item: item[1].rule.type not in AGENT_TYPES)
    for index, rule in ordered:
        kind, rule_id, category = rule.rule.type, rule.rule.id, rule.rule.category
        message = rule.rule.message.get(language)
        suggestion = rule.rule.suggestion.get(language)
        candidates = agents.get(index, []) if kind in AGENT_TYPES else mentions
        done = by_category.setdefault(category, set())
        for start, end in _matches(rule, sentences, candidates, spans.get(index, ()), done):
            if kind == "mention" and (start, end) in naming_spans:
                continue
            if (start, end, category) in flagged:
                continue
            flagged.add((start, end, category))
            done.add((start, end))
            if kind in AGENT_TYPES:
                naming_spans.add((start, end))
            excerpt = original[start:end]
            said = message + _evidence(rule, sentences, start, language)
            findings.append(Finding(start, end, rule_id, category, excerpt, said, suggestion))
    if rules.quoting is not None and findings and _QUOTE_MARK.search(text):
        quotes = [match.span() for match in _QUOTATION.finditer(text)]
        if quotes:
            findings = [
                f for f in findings if not _quoted_mention(rules.quoting, sentences, quotes, f)
            ]
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

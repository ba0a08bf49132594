"""The blameless-language linter.

Rules are data: `rules/<language>.yaml` ships with Hotwash, and an
organisation can add rules, replace shipped ones (same id) or switch them
off (`disabled: true`) with a file or folder named by HOTWASH_BLAMELESS_RULES.
Every file is validated with pydantic and every pattern compiled once per
process; a mistake stops Hotwash at start-up with the rule named.

Matching is regular expressions, case-insensitive, with word boundaries
added around every pattern. The text is split into sentences once; each
rule's pattern scans the whole text, and its exceptions (`unless`,
`unless_before`, `unless_after`) are only looked at around the few matches.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hotwash.envconfig import ConfigurationError
from hotwash.policies import LocalisedText

LANGUAGES = ("en", "fr")
RULES_DIR = Path(__file__).with_name("rules")
ENV_VARIABLE = "HOTWASH_BLAMELESS_RULES"
Category = Literal["naming", "human-error", "counterfactual", "judgement", "blame", "why-question"]

FLAGS = re.IGNORECASE | re.UNICODE
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
    disabled: bool = False

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


def _regex(text: str) -> str:
    """The pattern as compiled: an apostrophe also matches a typographic one."""
    source = text.replace("'", "['\u2019]")
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
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read blameless rule file {path}: {exc.strerror}"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"Blameless rule file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or data.get("language") not in LANGUAGES:
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
    return str(data["language"]), rules


def _organisation_files(location: str) -> list[Path]:
    if not location:
        return []
    path = Path(location).expanduser()
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    return [path]


def organisation_rules_location() -> str:
    """HOTWASH_BLAMELESS_RULES, from the settings when Django is set up (so
    tests can override it), else from the environment (scripts, benches)."""
    from django.conf import settings

    if settings.configured:
        return str(getattr(settings, "BLAMELESS_RULES", "") or "")
    return os.environ.get(ENV_VARIABLE, "")


def load_rules(language: str, organisation: str = "") -> list[Rule]:
    """The rules in force for a language, shipped then organisation's, in
    file order; a rule with a shipped id replaces (field by field) the
    shipped one."""
    raw: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in [RULES_DIR / f"{language}.yaml", *_organisation_files(organisation)]:
        file_language, rules = _read(path)
        if file_language != language:
            continue
        for item in rules:
            previous = raw.get(item["id"], (path, {}))[1]
            raw[item["id"]] = (path, {**previous, **item})
    validated: list[Rule] = []
    for rule_id, (path, data) in raw.items():
        if data.get("disabled") is True:
            continue
        try:
            validated.append(Rule.model_validate(data))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'rule'}: {err['msg']}"
                for err in exc.errors()
            )
            raise ConfigurationError(
                f"Blameless rule {rule_id!r} in {path} is invalid: {problems}"
            ) from None
    return validated


# --- compiled rules -------------------------------------------------------------


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    pattern: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    unless_before: re.Pattern[str] | None
    unless_after: re.Pattern[str] | None
    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    context: re.Pattern[str] | None
    when: re.Pattern[str] | None


def _bounded(source: str) -> str:
    # A match may end on an elided word ("d'", "qu'") glued to the next one.
    return rf"(?<!\w)(?:{source})(?:(?<=['\u2019])|(?!\w))"


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
    pattern: re.Pattern[str] | None = None
    if rule.type == "regex":
        pattern = re.compile(_bounded(_regex(rule.pattern)), FLAGS)
    elif rule.type == "phrases":
        phrases = sorted(rule.phrases, key=len, reverse=True)
        alternatives = "|".join(_regex(_spaced(p)) for p in phrases)
        pattern = re.compile(_bounded(alternatives), FLAGS)
    return CompiledRule(
        rule=rule,
        pattern=pattern,
        unless=_compile_anywhere(rule.unless),
        unless_before=_compile_before(rule.unless_before),
        unless_after=_compile_after(rule.unless_after),
        before=_compile_before(rule.before),
        after=_compile_after(rule.after),
        context=_compile_anywhere(rule.context),
        when=_compile_anywhere(rule.when),
    )


@dataclass(frozen=True)
class RuleSet:
    language: str
    rules: tuple[CompiledRule, ...]


@functools.cache
def _ruleset(language: str, organisation: str) -> RuleSet:
    return RuleSet(language, tuple(_compile(rule) for rule in load_rules(language, organisation)))


def ruleset(language: str) -> RuleSet:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}")
    return _ruleset(language, organisation_rules_location())


_MENTION = r"@\w[\w.\-]*\w|@\w"


@functools.lru_cache(maxsize=256)
def _people_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """Participants' names, their parts (given or family name alone) and
    usernames, with or without @, and any other @mention."""
    variants: set[str] = set()
    for name in names:
        name = name.strip().lstrip("@")
        if len(name) < 2:
            continue
        variants.add(name)
        parts = name.split()
        if len(parts) > 1:
            variants.update(part for part in parts if len(part) >= 3)
    alternatives = ["@?" + _spaced(v) for v in sorted(variants, key=len, reverse=True)]
    alternatives.append(_MENTION)
    # "@nadia" is not the start of "@nadia.k": a name ends where no word goes on.
    return re.compile(rf"(?<![\w@])(?:{'|'.join(alternatives)})(?![\w]|[.\-]\w)", FLAGS)


# --- linting --------------------------------------------------------------------

_BOUNDARY = re.compile(r"[.!?;:]+(?=\s|\Z)|\n")


class _Sentences:
    """Sentence spans of a text, found once; `around(pos)` is the span
    holding a position."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        self.ends: list[int] = []
        for match in _BOUNDARY.finditer(text):
            self.ends.append(match.end())
            self.starts.append(match.end())
        self.ends.append(len(text))

    def around(self, position: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, position) - 1
        return self.starts[index], self.ends[index]


def _excepted(rule: CompiledRule, text: str, start: int, end: int, sentences: _Sentences) -> bool:
    sentence = sentences.around(start)
    low, high = sentence
    if rule.when is not None and not rule.when.search(text, low, high):
        return True
    if rule.unless is not None:
        if rule.unless.search(text, low, high):
            return True
        # A question is judged with the sentence that answers it.
        answered = high < len(text) and text[low:high].rstrip().endswith("?")
        if answered and rule.unless.search(text, *sentences.around(high)):
            return True
    if rule.unless_before is not None and rule.unless_before.search(
        text[max(low, start - WINDOW) : start]
    ):
        return True
    return rule.unless_after is not None and bool(
        rule.unless_after.match(text[end : min(high, end + WINDOW)])
    )


def _is_agent(
    rule: CompiledRule, text: str, start: int, end: int, sentence: tuple[int, int]
) -> bool:
    low, high = sentence
    if rule.after is not None and rule.after.match(text[end : min(high, end + WINDOW)]):
        return True
    return rule.before is not None and bool(
        rule.before.search(text[max(low, start - WINDOW) : start])
    )


def _matches(
    rule: CompiledRule,
    text: str,
    sentences: _Sentences,
    people: Sequence[tuple[int, int, tuple[int, int]]],
) -> Iterator[tuple[int, int]]:
    kind = rule.rule.type
    if rule.pattern is not None:
        for match in rule.pattern.finditer(text):
            start, end = match.span()
            if not _excepted(rule, text, start, end, sentences):
                yield start, end
        return
    for start, end, sentence in people:
        if kind == "person-agent":
            hit = _is_agent(rule, text, start, end, sentence)
        else:
            hit = text[start] == "@" and rule.context is not None
            hit = hit and bool(rule.context and rule.context.search(text, *sentence))
        if hit and not _excepted(rule, text, start, end, sentences):
            yield start, end


def lint(text: str, language: str = "en", *, names: Iterable[str] = ()) -> list[Finding]:
    """Blameful wording in `text`, sorted by position, with the message and
    suggestion in `language` (whose rules are used)."""
    rules = ruleset(language)
    sentences = _Sentences(text)
    pattern = _people_pattern(tuple(sorted({n for n in names if n and n.strip()})))
    # Names and mentions are found once, for every person-agent and mention rule.
    people = [(m.start(), m.end(), sentences.around(m.start())) for m in pattern.finditer(text)]
    findings: list[Finding] = []
    naming_spans: set[tuple[int, int]] = set()
    # person-agent rules first, so a mention rule does not repeat their spans.
    ordered = sorted(rules.rules, key=lambda r: r.rule.type != "person-agent")
    for rule in ordered:
        for start, end in _matches(rule, text, sentences, people):
            if rule.rule.type == "mention" and (start, end) in naming_spans:
                continue
            if rule.rule.type == "person-agent":
                naming_spans.add((start, end))
            findings.append(
                Finding(
                    start=start,
                    end=end,
                    rule=rule.rule.id,
                    category=rule.rule.category,
                    excerpt=text[start:end],
                    message=rule.rule.message.get(language),
                    suggestion=rule.rule.suggestion.get(language),
                )
            )
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
    return findings


# --- Markdown -------------------------------------------------------------------

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[ \t]*$|\Z)", re.M | re.S)
_INLINE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_INDENTED = re.compile(r"(?:(?<=\n\n)|\A)(?:(?: {4}|\t)[^\n]*(?:\n|\Z))+")


def blank_code(markdown: str) -> str:
    """The text with Markdown code (fenced and indented blocks, inline code)
    replaced by spaces, newlines kept: quoted logs and commands are not
    prose, and offsets and line numbers still point into the original."""

    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    text = _FENCE.sub(blank, markdown)
    text = _INDENTED.sub(blank, text)
    return _INLINE.sub(blank, text)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def lint_markdown(
    markdown: str, language: str = "en", *, names: Iterable[str] = ()
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
        for f in lint(blank_code(markdown), language, names=names)
    ]

"""Reading postmortems written elsewhere: Markdown without front matter, or
with front matter that has neither `kind` nor `incident` (another tool's,
or hand-written; with an incident, the kind goes without saying and the
file is read as Hotwash's own format).

What Hotwash's own format states, such a file leaves to be worked out, and
every guess is reported per file:

- the title is the first heading (without front matter);
- the kind: with front matter, an incident postmortem when it gives a
  severity, otherwise a project retrospective (or what its `template` is
  for); without front matter, the kind of the template its
  headings match best, a severity written near the top ("Severity: SEV2")
  tipping a tie towards an incident postmortem;
- the template and the headings' language: the one whose section titles and
  aliases (outlines/*.yaml) match most headings, compared without case,
  accents, punctuation or numbering, then by containment ("Incident
  summary"), then by spelling ("Lesons learned");
- each heading that matches a section starts it; one that matches nothing,
  or a section already taken, goes with its text to the template's extra
  section, its heading kept, unless it sits below a section's heading (a
  sub-heading of that section's text). Text before the first section, and
  front matter keys Hotwash does not use, go there too. Nothing is dropped:
  a template without an extra section makes such a file fail.

An incident postmortem needs an incident reference; when the file names
none, its file name stands for it, so that the postmortem exports with
front matter and imports again as the same one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.core import markdown_blocks
from hotwash.core.markdown_blocks import Heading
from hotwash.incidents.models import severity_level
from hotwash.postmortems.markdown import MarkdownError, ParsedFile, normalise_body
from hotwash.postmortems.models import Kind, Language
from hotwash.postmortems.outlines import (
    Outline,
    SectionOutline,
    fold_heading,
    load_outlines,
    section_names,
)

# Words that say nothing about which section a heading is ("Incident
# summary", "Résumé de l'incident"), left out when measuring containment.
_FILLER_WORDS = (
    "the a an of our and on for to in with this incident incidents "
    "le la les l de des du d un une et sur pour en notre nos cet cette ce"
)
_FILLER = frozenset(_FILLER_WORDS.split())
# Section names too vague to be found inside a longer heading ("Other notes"
# is not the impact section "Other"): they match only on their own.
_VAGUE = frozenset(["other", "others", "autre", "autres", "notes", "staff", "personnel"])
_CLOSE_ENOUGH = 0.88  # difflib's ratio for a misspelt heading
_SEVERITY_LINE = re.compile(
    r"^\W*(?:severity|severite|gravite|sev)\W*\s*[:=]?\s*\W*(sev\s*-?\s*[1-4]|[1-4])\b", re.I
)
REFERENCE_MAX = 50  # Postmortem.external_incident


# --- matching headings to sections ------------------------------------------------


@dataclass(frozen=True)
class Name:
    """One way of writing a section's heading."""

    folded: str
    section: SectionOutline
    language: str | None  # None: the same in both languages, or its key


def names(outline: Outline) -> list[Name]:
    found: list[Name] = []
    for section in outline.sections:
        by_language: dict[str, set[str]] = {"en": set(), "fr": set()}
        for language in ("en", "fr"):
            title = section.title.en if language == "en" else section.title.fr
            by_language[language] = {
                fold_heading(name) for name in [title, *section.aliases.get(language)] if name
            }
        for folded in {fold_heading(name) for name in section_names(section)}:
            languages = [code for code, folds in by_language.items() if folded in folds]
            found.append(Name(folded, section, languages[0] if len(languages) == 1 else None))
    return found


@dataclass(frozen=True)
class Match:
    section: SectionOutline
    language: str | None
    rank: tuple[int, float, int]  # how: exact 3, contained 2, close 1; then how well


def _rank(heading: str, name: str) -> tuple[int, float, int] | None:
    if heading == name:
        return (3, 1.0, len(name))
    words = [word for word in heading.split() if word not in _FILLER]
    name_words = [word for word in name.split() if word not in _FILLER]
    vague = len(name_words) == 1 and name_words[0] in _VAGUE
    if words and name_words and not vague and f" {name} " in f" {heading} ":
        cover = len(name_words) / len(words)
        if cover >= 0.5:
            return (2, cover, len(name))
    if min(len(heading), len(name)) >= 5:
        ratio = SequenceMatcher(None, heading, name).ratio()
        if ratio >= _CLOSE_ENOUGH:
            return (1, ratio, len(name))
    return None


def match_heading(title: str, known: list[Name]) -> Match | None:
    """The section a heading names best, if any (the first in the
    template's order on a tie)."""
    heading = fold_heading(title)
    best: Match | None = None
    for name in known:
        rank = _rank(heading, name.folded)
        if rank is not None and (best is None or rank > best.rank):
            best = Match(name.section, name.language, rank)
    return best


# --- placing a body's text into a template's sections ----------------------------

Lines = list[tuple[int, str]]  # (line number in the file, text)


@dataclass
class Placement:
    """A body read against one template: each section's text, and what
    was decided on the way, for the report."""

    outline: Outline
    sections: dict[str, str] = field(default_factory=dict)
    matched: list[tuple[int, str, SectionOutline]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # report lines about the extra text
    extra: list[str] = field(default_factory=list)  # the extra section's chunks
    first_extra_line: int | None = None
    votes: dict[str, int] = field(default_factory=lambda: {"en": 0, "fr": 0})

    @property
    def found(self) -> int:
        return len(self.matched)

    @property
    def language(self) -> str | None:
        en, fr = self.votes["en"], self.votes["fr"]
        return None if en == fr else ("en" if en > fr else "fr")


@dataclass
class _Target:
    key: str | None  # a section's key; None: a chunk of the extra section
    depth: int  # the depth of the heading that started it (0: none)
    lines: list[str] = field(default_factory=list)


def place(
    lines: Lines, headings: dict[int, Heading], outline: Outline, leading: list[str]
) -> Placement:
    """Read `lines` (the body, without the title line) against `outline`.
    `headings`: the body's headings by file line; `leading`: chunks for the
    extra section that come before the body (front matter kept as text)."""
    placement = Placement(outline)
    known = names(outline)
    # Without an extra section, a file with text to keep fails (read_foreign).
    extra_title = outline.extra_section.title.get() if outline.extra_section else ""
    first_line: dict[str, int] = {}
    targets: list[_Target] = []
    current = _Target(None, 0)  # text before the first section
    preamble = current
    for number, line in lines:
        heading = headings.get(number)
        if heading is None:
            current.lines.append(line)
            continue
        match = match_heading(heading.title, known)
        section = match.section if match else None
        if section is not None and section.key not in first_line:
            first_line[section.key] = number
            placement.matched.append((number, heading.title, section))
            if match is not None and match.language:
                placement.votes[match.language] += 1
            current = _Target(section.key, heading.depth)
            targets.append(current)
            continue
        if section is None and current.depth and heading.depth > current.depth:
            current.lines.append(line)  # a sub-heading of the current text
            continue
        if section is not None:
            placement.kept.append(
                _(
                    "“%(heading)s” (line %(line)d): “%(section)s” already has text from line "
                    "%(first)d; kept in “%(extra)s”."
                )
                % {
                    "heading": heading.title,
                    "line": number,
                    "section": section.title.get(),
                    "first": first_line[section.key],
                    "extra": extra_title,
                }
            )
        else:
            placement.kept.append(
                _("“%(heading)s” (line %(line)d) matches no section: kept in “%(extra)s”.")
                % {"heading": heading.title, "line": number, "extra": extra_title}
            )
        placement.first_extra_line = placement.first_extra_line or number
        current = _Target(None, heading.depth, [line])
        targets.append(current)
    own_extra = ""
    for target in targets:
        body = normalise_body("\n".join(target.lines))
        if target.key is None:
            if body:
                placement.extra.append(body)
        elif outline.extra_section is not None and target.key == outline.extra_section.key:
            own_extra = body
        elif body:
            placement.sections[target.key] = body
    before = normalise_body("\n".join(preamble.lines))
    if before:
        start = next(number for number, text in lines if text.strip())
        placement.first_extra_line = start
        placement.kept.insert(
            0,
            _("Text before the first section (line %(line)d): kept in “%(extra)s”.")
            % {"line": start, "extra": extra_title},
        )
    chunks = [*leading, *([before] if before else []), *([own_extra] if own_extra else [])]
    placement.extra = [*chunks, *placement.extra]
    if placement.extra and outline.extra_section is not None:
        placement.sections[outline.extra_section.key] = "\n\n".join(placement.extra)
    return placement


# --- choosing the template and the kind -------------------------------------------


def _preferred_kind(outline: Outline, wanted: str) -> str:
    if wanted in outline.kinds:
        return wanted
    return next(kind for kind in ("incident", "project", "success") if kind in outline.kinds)


def best_placement(
    lines: Lines,
    headings: dict[int, Heading],
    leading: list[str],
    *,
    kind: str | None,
    wanted: str,
    template: str | None,
) -> Placement:
    """The placement against the template that finds most sections: among
    those for `kind` when it is known, else among all, those for `wanted`
    winning a tie, then the one whose sections are most of it covered."""
    outlines = load_outlines()
    if template is not None and template in outlines:
        return place(lines, headings, outlines[template], leading)
    candidates = [
        outline for outline in outlines.values() if kind is None or kind in outline.kinds
    ] or list(outlines.values())
    placements = [place(lines, headings, outline, leading) for outline in candidates]
    return max(
        placements,
        key=lambda placement: (
            placement.found,
            wanted in placement.outline.kinds,
            placement.found / len(placement.outline.sections),
            placement.outline.key in ("default", "project"),  # the usual ones, on a tie
        ),
    )


# --- the whole file ---------------------------------------------------------------


@dataclass
class Reading:
    """What was assumed about a file, for the report; `reference`: the
    incident reference made up from the file's name, if any."""

    report: list[str] = field(default_factory=list)
    reference: str | None = None


def _absent(value: Any) -> bool:
    return value is None or value == ""


def _severity_in(lines: Lines) -> tuple[str, int] | None:
    """A severity written on a line of its own ("Severity: SEV2",
    "**Sévérité** : 1"), and its line."""
    for number, line in lines:
        match = _SEVERITY_LINE.match(fold_accents(line.replace("*", "")))
        if match:
            level = severity_level(re.sub(r"[\s-]", "", match.group(1)))
            if level is not None:
                return f"SEV{level}", number
    return None


def fold_accents(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(char for char in folded if not unicodedata.combining(char))


def _unused_front_matter(front: dict[str, Any], used: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in front.items() if key not in used and not _absent(value)}


def _front_matter_chunk(unused: dict[str, Any]) -> str:
    text = yaml.safe_dump(unused, allow_unicode=True, sort_keys=False, width=10_000).rstrip()
    # A fence longer than any run of backticks in the values, so it holds.
    fence = "`" * max([3, *(len(run) + 1 for run in re.findall(r"`+", text))])
    return f"{fence}yaml\n{text}\n{fence}"


def read_foreign(parsed: ParsedFile, *, used_keys: frozenset[str]) -> Reading:
    """Work out what a file without `kind` leaves unsaid, into
    `parsed.front` (title, kind, template, language, incident, severity)
    and `parsed.sections`; what was assumed is the reading's report."""
    reading = Reading()
    front = parsed.front
    plain = not parsed.has_front_matter
    numbered = list(enumerate(parsed.text.split("\n"), start=1))[parsed.body_start - 1 :]
    body = "\n".join(line for _number, line in numbered)
    found = markdown_blocks.headings(body)
    headings = {parsed.body_start + heading.line: heading for heading in found}
    if _absent(front.get("title")):
        title = _take_title(parsed, headings, plain=plain)
        numbered = [(number, line) for number, line in numbered if number != title.line]
        headings.pop(title.line)
        reading.report.append(
            _("Title taken from the first heading (line %(line)d): “%(title)s”.")
            % {"line": title.line, "title": title.title}
        )
    else:
        # The title written again as the first heading is not text to keep.
        first = next(iter(headings.items()), None)
        if (
            first is not None
            and first[1].depth == 1
            and fold_heading(first[1].title) == fold_heading(str(front["title"]))
        ):
            numbered = [(number, line) for number, line in numbered if number != first[0]]
            headings.pop(first[0])
    leading: list[str] = []
    unused = _unused_front_matter(front, used_keys)
    if unused:
        leading.append(_front_matter_chunk(unused))
    kind, reason, placement = _kind_and_placement(parsed, numbered, headings, leading, plain)
    outline = placement.outline
    extra = outline.extra_section
    if placement.extra and extra is None:
        raise MarkdownError(
            parsed.path,
            placement.first_extra_line or parsed.front_start,
            _(
                "This text would be lost: it matches no section of the template %(template)s, "
                "which has no section for other text (one marked “extra: true”). Nothing was "
                "imported."
            )
            % {"template": outline.key},
        )
    front["kind"] = kind
    reading.report.append(
        _("Kind: %(kind)s, because %(reason)s.") % {"kind": Kind(kind).label, "reason": reason}
    )
    if _absent(front.get("template")):
        front["template"] = outline.key
    language = str(front.get("language") or front.get("original_language") or "")
    if not language:
        language = placement.language or "en"
        front["language"] = language
    reading.report.append(
        ngettext(
            "Template: “%(template)s”, headings read in %(language)s: %(found)d of its "
            "%(total)d section found.",
            "Template: “%(template)s”, headings read in %(language)s: %(found)d of its "
            "%(total)d sections found.",
            len(outline.sections),
        )
        % {
            "template": outline.name.get(),
            "language": Language(language).label if language in Language.values else language,
            "found": placement.found,
            "total": len(outline.sections),
        }
    )
    if kind == Kind.INCIDENT and _absent(front.get("incident")):
        # The whole name, "INC-12.md": never taken for an incident here.
        reading.reference = Path(parsed.path).name[:REFERENCE_MAX]
        front["incident"] = reading.reference
        reading.report.append(
            _("No incident named: the file's name, “%(reference)s”, stands for it.")
            % {"reference": reading.reference}
        )
    for line, heading, section in placement.matched:
        reading.report.append(
            _("“%(heading)s” (line %(line)d) → %(section)s.")
            % {"heading": heading, "line": line, "section": section.title.get()}
        )
    if unused and extra is not None:
        reading.report.append(
            _("Front matter Hotwash does not use (%(keys)s): kept in “%(extra)s”.")
            % {"keys": ", ".join(unused), "extra": extra.title.get()}
        )
    reading.report += placement.kept
    parsed.sections = placement.sections
    return reading


def kind_from_incident(kind: str, incident: str) -> str:
    """The report's line for front matter with an incident but no kind."""
    return _("Kind: %(kind)s, because %(reason)s.") % {
        "kind": Kind(kind).label,
        "reason": _("the front matter names an incident (%(incident)s)") % {"incident": incident},
    }


def _take_title(parsed: ParsedFile, headings: dict[int, Heading], *, plain: bool) -> Heading:
    """The first heading, which names the postmortem (not one of its sections)."""
    first = next(iter(headings.values()), None)
    if first is None:
        raise MarkdownError(
            parsed.path,
            parsed.front_start,
            _(
                "The file has no front matter and no heading to take the title from: start it "
                "with a line “# Title”."
            )
            if plain
            else _("The front matter has no title, and the file no heading to take it from."),
        )
    line = next(number for number, heading in headings.items() if heading is first)
    heading = Heading(line=line, depth=first.depth, title=first.title)
    for outline in load_outlines().values():
        match = match_heading(heading.title, names(outline))
        if match is not None and match.rank[0] == 3:
            raise MarkdownError(
                parsed.path,
                line,
                _(
                    "The first heading, “%(heading)s”, names a section, not the postmortem: "
                    "start the file with a line “# Title”."
                )
                % {"heading": heading.title},
            )
    parsed.front["title"] = heading.title
    parsed.lines["title"] = line
    return heading


def _kind_and_placement(
    parsed: ParsedFile, lines: Lines, headings: dict[int, Heading], leading: list[str], plain: bool
) -> tuple[str, str, Placement]:
    """The kind, why, and the body placed in the template that fits it."""
    front = parsed.front
    template = front.get("template")
    template = str(template).strip() if not _absent(template) else None
    if not plain:
        outlines = load_outlines()
        if not _absent(front.get("severity")):
            kind = Kind.INCIDENT
            reason = _("the front matter gives a severity (%(severity)s)") % {
                "severity": front["severity"]
            }
        elif template is not None and template in outlines:
            kind = Kind(_preferred_kind(outlines[template], Kind.PROJECT))
            reason = _("the front matter names the template %(template)s") % {"template": template}
        else:
            kind = Kind.PROJECT
            reason = _("the front matter names no incident and no severity")
        placement = best_placement(
            lines, headings, leading, kind=kind, wanted=kind, template=template
        )
        return kind, reason, placement
    first_heading = min(headings, default=None)
    top = [
        (number, line) for number, line in lines if first_heading is None or number < first_heading
    ]
    severity = _severity_in(top)
    wanted = Kind.INCIDENT if severity else Kind.PROJECT
    placement = best_placement(lines, headings, leading, kind=None, wanted=wanted, template=None)
    kind = Kind(_preferred_kind(placement.outline, wanted))
    if severity is not None and kind == Kind.INCIDENT:
        front["severity"], parsed.lines["severity"] = severity
        reason = _("the text gives a severity (%(severity)s, line %(line)d)") % {
            "severity": severity[0],
            "line": severity[1],
        }
    elif placement.found:
        reason = _("its headings match the template “%(template)s” best") % {
            "template": placement.outline.name.get()
        }
    else:
        reason = _("no heading matches a template and the text gives no severity")
    return kind, reason, placement

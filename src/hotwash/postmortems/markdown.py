"""Postmortems as Markdown files with YAML front matter ("docs as code").

One file per language version: `PM-12-title-slug.md` holds the original
language, `PM-12-title-slug.fr.md` (or `.en.md`) the other one when any of
its sections has text. Each file is complete on its own: front matter with
the header, a `# Title`, then every section of the template as a `##` or
`###` heading (titles in the file's language) followed by its text.

Facts Hotwash generates (header facts and durations, the incident's key
moments, the action items) are written between
`<!-- hotwash:facts NAME -->` and `<!-- /hotwash:facts -->`. The importer
recognises them: when the data they come from exists in this installation
(the incident, the action items) it regenerates them and ignores the file's
copy; otherwise it keeps the file's text verbatim, so nothing is lost.

The format is deterministic (UTC times, fixed key order), so export, import
into a fresh database and export again gives byte-identical files. This
module only reads and writes text; importing.py writes to the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from django.utils import translation
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import AnyUser
from hotwash.core import markdown_blocks
from hotwash.core.markdown_blocks import Heading
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import Incident
from hotwash.postmortems.factors import factors_of
from hotwash.postmortems.facts import incident_facts
from hotwash.postmortems.hooks import hooks
from hotwash.postmortems.models import Kind, Language, Postmortem
from hotwash.postmortems.outlines import Outline, get_outline
from hotwash.postmortems.queries import is_marked_public

FACTS_OPEN = re.compile(r"^<!-- hotwash:facts ([a-z_]+) -->$")
FACTS_CLOSE = "<!-- /hotwash:facts -->"
HEADER_FACTS = "header"
# Incident times in the front matter: key -> Incident field.
INCIDENT_TIMES = {
    "impact_started": "impact_started_at",
    "detected": "detected_at",
    "declared": "declared_at",
    "acknowledged": "acknowledged_at",
    "mitigated": "mitigated_at",
    "resolved": "resolved_at",
    "closed": "closed_at",
}
SLUG_MAX = 60


class MarkdownError(Exception):
    """A file that cannot be imported: which file, which line, and why."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class ExportedFile:
    name: str
    text: str


# --- export -------------------------------------------------------------------


def utc(value: datetime | None) -> datetime | None:
    """Times are written in UTC to the second, so an export does not depend
    on who runs it, and reads back to the same value."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0)


def file_name(postmortem: Postmortem, language: str) -> str:
    slug = slugify(postmortem.title)[:SLUG_MAX].strip("-") or "postmortem"
    suffix = "" if language == postmortem.original_language else f".{language}"
    return f"{postmortem.ref}-{slug}{suffix}.md"


def languages_to_export(postmortem: Postmortem) -> list[str]:
    """The original language always; the other one when it has any text."""
    written = {
        language
        for language, body in postmortem.sections.values_list("language", "body")
        if body.strip()
    }
    others = [lang for lang in Language.values if lang != postmortem.original_language]
    return [postmortem.original_language, *[lang for lang in others if lang in written]]


def export_files(postmortem: Postmortem, *, reader: AnyUser | None = None) -> list[ExportedFile]:
    """Every language version of a postmortem, each one complete file, as
    `reader` may see it (None: Hotwash itself, which sees everything)."""
    return [
        export_file(postmortem, language, reader=reader)
        for language in languages_to_export(postmortem)
    ]


def export_file(
    postmortem: Postmortem, language: str | None = None, *, reader: AnyUser | None = None
) -> ExportedFile:
    language = language or postmortem.original_language
    with translation.override(language):
        text = render(postmortem, language, reader=reader)
    return ExportedFile(file_name(postmortem, language), text)


def _people(postmortem: Postmortem) -> tuple[str | None, list[str]]:
    imported = postmortem.imported_header or {}
    owner = postmortem.owner.username if postmortem.owner else imported.get("owner")
    authors = set(postmortem.authors.values_list("username", flat=True))
    authors |= set(imported.get("authors") or [])
    return owner, sorted(authors)


def front_matter(postmortem: Postmortem, language: str) -> dict[str, Any]:
    incident = postmortem.incident
    imported = postmortem.imported_header or {}
    owner, authors = _people(postmortem)
    data: dict[str, Any] = {
        "title": postmortem.title,
        "id": postmortem.ref,
        "incident": incident.ref if incident else (postmortem.external_incident or None),
        "kind": str(postmortem.kind),
        "template": str(postmortem.template),
    }
    if postmortem.kind == Kind.INCIDENT:
        severity = incident.severity if incident else imported.get("severity")
        data["severity"] = f"SEV{severity}" if severity else None
    data.update(
        {
            "status": str(postmortem.status),
            "required": postmortem.required,
            # As it takes effect: never true for a private incident's
            # postmortem, so the file also imports again as it is.
            "public": is_marked_public(postmortem),
            "owner": owner,
            "authors": authors,
            "created": utc(postmortem.created_at),
            "due": postmortem.due_on,
            "approved": utc(postmortem.approved_at),
            "published": utc(postmortem.published_at),
        }
    )
    if postmortem.kind == Kind.INCIDENT:
        times: dict[str, Any] = {}
        for key, name in INCIDENT_TIMES.items():
            if incident is not None:
                times[key] = utc(getattr(incident, name))
            else:
                raw = (imported.get("incident_times") or {}).get(key)
                times[key] = utc(datetime.fromisoformat(raw)) if raw else None
        data["incident_times"] = times
    if incident is not None:
        services = sorted(incident.services.values_list("name", flat=True))
    else:
        services = sorted(postmortem.services.values_list("name", flat=True))
    data.update(
        {
            "tags": [str(tag) for tag in postmortem.tags or []],
        }
    )
    factors = [factor.value for factor in factors_of(postmortem)] if postmortem.pk else []
    if factors:
        # Only when tagged, so files written before factors existed export
        # again unchanged.
        data["factors"] = factors
    data.update(
        {
            "language": str(language),
            "original_language": str(postmortem.original_language),
            "services": services,
        }
    )
    if postmortem.kind != Kind.INCIDENT:
        data["period"] = {"start": postmortem.period_start, "end": postmortem.period_end}
    return data


class _Dumper(yaml.SafeDumper):
    """Lists on one line ([a, b]), mappings one key per line: readable, and
    times inside mappings stay plain (no !!timestamp tags)."""


def _flow_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(list, _flow_list)


def _yaml(data: dict[str, Any]) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=10_000,
    )


def render(postmortem: Postmortem, language: str, *, reader: AnyUser | None = None) -> str:
    """The Markdown file of one language version (call with that language
    active, for the generated facts' labels)."""
    outline = get_outline(postmortem.template)
    chunks = [f"---\n{_yaml(front_matter(postmortem, language))}---", f"# {postmortem.title}"]
    facts = generated_facts(postmortem, language, reader=reader)
    if HEADER_FACTS in facts:
        chunks.append(facts_block(HEADER_FACTS, facts[HEADER_FACTS]))
    bodies = dict(postmortem.sections.filter(language=language).values_list("key", "body"))
    for section in outline.sections:
        body = normalise_body(bodies.get(section.key, ""))
        if section.extra and not body:
            continue  # there only when an import needed it
        chunks.append("#" * section.level + " " + section.title.get(language))
        if section.generated and section.generated in facts:
            chunks.append(facts_block(section.generated, facts[section.generated]))
        if body:
            chunks.append(body)
    return "\n\n".join(chunks) + "\n"


def normalise_body(body: str) -> str:
    """A section's text as the file holds it: Unix line ends, no blank lines
    around it (they cannot survive between headings)."""
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return text if text.strip() else ""


def facts_block(name: str, text: str) -> str:
    return f"<!-- hotwash:facts {name} -->\n{text}\n{FACTS_CLOSE}"


def generated_facts(
    postmortem: Postmortem, language: str, *, reader: AnyUser | None = None
) -> dict[str, str]:
    """The text of each facts block: from live data when this installation
    has it, else as imported from a file in this language (or, failing
    that, in the original language)."""
    facts: dict[str, str] = {}
    stored: dict[str, dict[str, str]] = dict(postmortem.imported_facts or {})
    imported = stored.get(language) or stored.get(postmortem.original_language) or {}
    if postmortem.incident is not None:
        facts[HEADER_FACTS] = header_facts(postmortem.incident)
        facts["timeline"] = key_moments(postmortem.incident)
    items = action_items(postmortem, reader=reader)
    if items is not None:
        facts["action_items"] = items
    for name, text in imported.items():
        facts.setdefault(name, text)
    return facts


def when(value: datetime | None) -> str:
    moment = utc(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    total = int(value.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


def _line(label: str, value: str) -> str:
    return "- " + _("%(label)s: %(value)s") % {"label": label, "value": value}


def header_facts(incident: Incident) -> str:
    facts = incident_facts(incident)
    lines = [
        _line(_("Incident"), f"{incident.ref} — {incident.title}"),
        _line(_("Severity"), f"SEV{incident.severity}"),
        _line(_("Services"), ", ".join(facts.services) or "—"),
        _line(_("Commander"), facts.commander.username if facts.commander else "—"),
        _line(_("Responders"), ", ".join(user.username for user in facts.responders) or "—"),
    ]
    lines += [_line(capfirst(label), when(moment)) for label, moment in facts.times]
    lines += [_line(item.label, duration(item.value)) for item in facts.durations]
    return "\n".join(lines)


def key_moments(incident: Incident) -> str:
    moments = incident_facts(incident).key_moments
    if not moments:
        return _("No key moments on the incident's timeline.")
    lines = []
    for event in moments:
        text = " ".join(describe_event(event).split())
        author = f" ({event.author.username})" if event.author else ""
        lines.append(f"- {when(event.occurred_at)} — {text}{author}")
    return "\n".join(lines)


def action_items(postmortem: Postmortem, *, reader: AnyUser | None = None) -> str | None:
    """The postmortem's action items `reader` may see (None: all of them),
    or None when there are none."""
    items = hooks.action_items(postmortem, reader)
    if not items:
        return None
    lines = []
    for item in items:
        details = [
            item.owner or _("no owner"),
            _("due %(date)s") % {"date": item.due_on.isoformat()}
            if item.due_on
            else _("no due date"),
            item.status,
        ]
        lines.append(f"- AI-{item.pk} — {item.title} ({', '.join(details)})")
    return "\n".join(lines)


# --- parsing ------------------------------------------------------------------


@dataclass
class ParsedFile:
    """A file read and split, before any validation against the database.
    `lines` maps each front matter key to its line, for error messages."""

    path: str
    front: dict[str, Any]
    lines: dict[str, int]
    front_start: int
    text: str = ""
    body_start: int = 1
    sections: dict[str, str] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)
    # False for Markdown written elsewhere, without front matter (plain.py).
    has_front_matter: bool = True

    def error(self, key: str | None, message: str) -> MarkdownError:
        return MarkdownError(self.path, self.lines.get(key or "", self.front_start), message)


def read_front_matter(path: str, text: str) -> tuple[dict[str, Any], dict[str, int], int]:
    """The front matter, the line of each key in it, and the line number
    where the Markdown body starts."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise MarkdownError(
            path, 1, _("The file does not start with YAML front matter (a line “---”).")
        )
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise MarkdownError(
            path, 1, _("The front matter is not closed: add a line “---” after it.")
        )
    source = "\n".join(lines[1:end])
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise MarkdownError(
            path, line, _("The front matter is not valid YAML: %(problem)s.") % {"problem": problem}
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MarkdownError(path, 2, _("The front matter must be a list of “key: value” lines."))
    key_lines: dict[str, int] = {}
    for number, line in enumerate(lines[1:end], start=2):
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if match:
            key_lines.setdefault(match.group(1), number)
    return {str(key): value for key, value in data.items()}, key_lines, end + 2


def parse(path: str, text: str) -> ParsedFile:
    """Split a file into front matter, facts blocks and section bodies. The
    template (which sections, titled how) comes from the front matter; the
    caller validates the values. A file that does not start with front
    matter is all body (Markdown written elsewhere: plain.py reads it)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
    if text.split("\n", 1)[0].strip() != "---":
        return ParsedFile(
            path=path, front={}, lines={}, front_start=1, text=text, has_front_matter=False
        )
    front, key_lines, body_start = read_front_matter(path, text)
    return ParsedFile(
        path=path, front=front, lines=key_lines, front_start=1, text=text, body_start=body_start
    )


Lines = list[tuple[int, str]]


def split_body(parsed: ParsedFile, outline: Outline, language: str) -> None:
    """Fill `parsed.sections` and `parsed.facts` from the Markdown body.

    A `##` or `###` heading whose title is one of the template's sections
    (in either language, after the current one) starts that section; any
    other heading is part of the text. Headings are read as the page renders
    them (core/markdown_blocks.py): one inside a code block, a list item or
    a block quote is text. A code block left open in a section's text would
    hide every later heading, so when that pass misses sections, a second one
    that ignores code blocks but needs the exact heading lines Hotwash
    writes, each section in turn, is tried, and the one that finds more
    sections wins.
    """
    lines = parsed.text.split("\n")[parsed.body_start - 1 :]
    numbered = list(enumerate(lines, start=parsed.body_start))
    found = markdown_blocks.headings("\n".join(lines))
    preamble, bodies = _scan(numbered, outline, language, found)
    if len(bodies) < len(outline.sections):
        other = _scan(numbered, outline, language, None)
        if len(other[1]) > len(bodies):
            preamble, bodies = other
    titles = {parsed.body_start + heading.line for heading in found if heading.depth == 1}
    _read_preamble(parsed, preamble, outline, language, titles)
    for index, body_lines in bodies.items():
        key = outline.sections[index].key
        parsed.sections[key] = _take_facts(parsed, body_lines)


def _scan(
    lines: Lines, outline: Outline, language: str, headings: list[Heading] | None
) -> tuple[Lines, dict[int, Lines]]:
    """The lines before the first section, and each section's lines by its
    index in the outline. `headings`: the body's headings (as numbered in
    `lines`, from 0); None to ignore Markdown's structure and accept only
    the exact heading lines an export writes."""
    titles: list[set[str]] = [
        {_fold(section.title.en), _fold(section.title.fr), _fold(section.key)}
        for section in outline.sections
    ]
    exact = [
        "#" * section.level + " " + section.title.get(language) for section in outline.sections
    ]
    # Sections are `##` or `###` headings.
    candidates = {h.line: _fold(h.title) for h in headings or [] if h.depth in (2, 3)}
    current = -1  # index of the section being read; -1: before the first
    bodies: dict[int, Lines] = {}
    preamble: Lines = []
    for index, (number, line) in enumerate(lines):
        found: int | None = None
        if headings is None:
            # An export writes every heading, in order: only the next one counts.
            if current + 1 < len(exact) and line.rstrip() == exact[current + 1]:
                found = current + 1
        elif (title := candidates.get(index)) is not None:
            found = next((i for i in range(current + 1, len(titles)) if title in titles[i]), None)
        if found is not None:
            current = found
            bodies[current] = []
            continue
        (bodies[current] if current >= 0 else preamble).append((number, line))
    return preamble, bodies


def _fold(title: str) -> str:
    return " ".join(title.split()).casefold()


def _read_preamble(
    parsed: ParsedFile, lines: Lines, outline: Outline, language: str, titles: set[int]
) -> None:
    """Before the first section: the `# Title` line and the header facts.
    `titles`: the numbers of the lines that are `#` headings."""
    first_text = next((i for i, (_n, line) in enumerate(lines) if line.strip()), None)
    if first_text is not None and lines[first_text][0] in titles:
        lines = lines[first_text + 1 :]
    rest = _take_facts(parsed, lines, keep_lines=True)
    for number, line in rest:
        if not line.strip():
            continue
        first = outline.sections[0]
        raise MarkdownError(
            parsed.path,
            number,
            _(
                "Text before the first section heading. Sections of the template "
                "%(template)s are headings such as “%(example)s”."
            )
            % {
                "template": outline.key,
                "example": "#" * first.level + " " + first.title.get(language),
            },
        )


def _take_facts(
    parsed: ParsedFile, lines: list[tuple[int, str]], *, keep_lines: bool = False
) -> Any:
    """Remove facts blocks found where Hotwash writes them (before any text
    of the region) into `parsed.facts`; return the section's text (or the
    remaining lines, with `keep_lines`)."""
    remaining = list(lines)
    while True:
        start = next((i for i, (_n, line) in enumerate(remaining) if line.strip()), None)
        if start is None:
            break
        match = FACTS_OPEN.match(remaining[start][1].strip())
        if not match:
            break
        end = next(
            (i for i in range(start + 1, len(remaining)) if remaining[i][1].strip() == FACTS_CLOSE),
            None,
        )
        if end is None:
            raise MarkdownError(
                parsed.path,
                remaining[start][0],
                _("This facts block is not closed: add a line “%(close)s”.")
                % {"close": FACTS_CLOSE},
            )
        parsed.facts[match.group(1)] = "\n".join(line for _n, line in remaining[start + 1 : end])
        remaining = remaining[end + 1 :]
    if keep_lines:
        return remaining
    return normalise_body("\n".join(line for _n, line in remaining))

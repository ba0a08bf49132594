"""A postmortem as slides, for showing it at a meeting ("Show The Thing").

Plain functions from what the postmortem says (its sections' Markdown, the
incident's key moments and durations, the action items) to a short deck:
the title, the impact, the key moments, the contributing factors, what went
well, where we got lucky and the action items, one idea per slide. Nothing
here reads the database; the page (views/slides.py) gathers the facts,
already filtered for its reader, and activates the deck's language.

A slide must fit on one printed page (the handout is the browser's "Save as
PDF", one slide per page), so each one is kept short: a few points, each cut
at a word boundary. What does not fit goes into the presenter's notes, in
full; a slide whose text all fits gets a hint for the presenter instead. A
long section continues on one more slide at most.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from markdown_it import MarkdownIt
from markdown_it.token import Token

from hotwash.core.markdown_blocks import commonmark

# What fits on a printed slide (A4 landscape, the sizes in slides.css).
MAX_POINTS = 4
MAX_POINT_CHARS = 150
MAX_LEAD_CHARS = 280
MAX_FACT_CHARS = 100
# A section continues on this many slides at most; the rest is in the notes.
MAX_SLIDES_PER_TOPIC = 2
ELLIPSIS = "…"

# The sections shown after the title slide, in order: the impact, then the
# key moments, then the learning (the "Show The Thing" list).
LEARNING_SECTIONS = ("contributing_factors", "went_well", "got_lucky")


@dataclass(frozen=True)
class SectionText:
    """One section of the outline in the deck's language (body in Markdown)."""

    key: str
    title: str
    level: int
    body: str


@dataclass(frozen=True)
class Moment:
    """A key moment of the incident's timeline, `at` in the reader's zone."""

    at: datetime
    text: str


@dataclass(frozen=True)
class Item:
    """An action item the reader may see; `status` is its label."""

    ref: str
    title: str
    owner: str | None  # the owner's name as people know it
    due_on: date | None
    status: str


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Point:
    """One line of a slide: `label` before the text (a time, a sub-section,
    an action item's reference), `when` the label's ISO time when it is one,
    `detail` a second line (an action item's owner, due date and status)."""

    text: str
    label: str = ""
    when: str = ""
    detail: str = ""

    @property
    def full(self) -> str:
        parts = [self.label, self.text, self.detail]
        return " — ".join(part for part in parts if part)


@dataclass(frozen=True)
class Slide:
    key: str  # what it shows: "title", "impact", "timeline", a section's key
    title: str
    lead: str = ""
    facts: tuple[Fact, ...] = ()
    points: tuple[Point, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeckSource:
    """Everything a deck is made from, in the deck's language."""

    title: str
    facts: Sequence[Fact]  # reference, incident, severity, services
    sections: Sequence[SectionText]
    durations: Sequence[Fact] = ()  # only those with a value
    moments: Sequence[Moment] = ()
    zone: str = ""  # the moments' time zone, said once on their slide
    # None when the outline has no action items section.
    items: Sequence[Item] | None = None


# --- Markdown to short text ---------------------------------------------------


@functools.cache
def _parser() -> MarkdownIt:
    return commonmark()


def _plain(token: Token) -> str:
    """An inline token as plain text: the words of links and emphasis, code
    spans as written, an image by its description."""
    pieces: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            pieces.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            pieces.append(" ")
        elif child.type == "image":
            pieces.append(child.content)
    return " ".join("".join(pieces).split())


def text_blocks(markdown: str) -> list[str]:
    """The text of each paragraph, heading and list item, in order, as plain
    text; a table gives one block per row. Code blocks stay in the
    postmortem: they do not read well on a slide."""
    blocks: list[str] = []
    row: list[str] | None = None
    for token in _parser().parse(markdown or ""):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            text = " · ".join(cell for cell in row if cell)
            if text:
                blocks.append(text)
            row = None
        elif token.type == "inline":
            text = _plain(token)
            if row is not None:
                row.append(text)
            elif text:
                blocks.append(text)
    return blocks


def shorten(text: str, limit: int) -> str:
    """`text` as is when it fits in `limit` characters, else cut at the last
    word boundary before it, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-—") + ELLIPSIS


# --- slides -------------------------------------------------------------------


def _continued(title: str, part: int, parts: int) -> str:
    if parts == 1:
        return title
    return _("%(title)s (%(part)d of %(parts)d)") % {"title": title, "part": part, "parts": parts}


def topic_slides(
    key: str,
    title: str,
    points: Sequence[Point],
    guidance: str,
    *,
    lead: str = "",
    facts: Sequence[Fact] = (),
    notes: Iterable[str] = (),
) -> list[Slide]:
    """One topic on one slide, or on up to MAX_SLIDES_PER_TOPIC when it has
    many points (the first has one point less when it also shows facts).
    Each slide's notes: the full text of every point cut short on it, then
    (on the last) the points that did not fit and `notes`; else `guidance`."""
    first_capacity = MAX_POINTS - 1 if facts else MAX_POINTS
    chunks: list[list[Point]] = [list(points[:first_capacity])]
    rest = list(points[first_capacity:])
    while rest and len(chunks) < MAX_SLIDES_PER_TOPIC:
        chunks.append(rest[:MAX_POINTS])
        rest = rest[MAX_POINTS:]
    extra = [point.full for point in rest] + [note for note in notes if note]
    slides = []
    for index, chunk in enumerate(chunks):
        shown = [_fit(point) for point in chunk]
        slide_notes = [
            point.full for point, short in zip(chunk, shown, strict=True) if short != point
        ]
        if index == len(chunks) - 1:
            slide_notes += extra
        slides.append(
            Slide(
                key=key,
                title=_continued(title, index + 1, len(chunks)),
                lead=lead if index == 0 else "",
                facts=tuple(facts) if index == 0 else (),
                points=tuple(shown),
                notes=tuple(slide_notes or [guidance]),
            )
        )
    return slides


def _fit(point: Point) -> Point:
    text = shorten(point.text, MAX_POINT_CHARS)
    return point if text == point.text else Point(text, point.label, point.when, point.detail)


def _points(markdown: str, label: str = "") -> list[Point]:
    """A section's blocks as points; `label` on the first."""
    return [
        Point(text, label=label if index == 0 else "")
        for index, text in enumerate(text_blocks(markdown))
    ]


def title_slide(source: DeckSource, summary: str) -> Slide:
    blocks = text_blocks(summary)
    lead = shorten(blocks[0], MAX_LEAD_CHARS) if blocks else ""
    notes = ([blocks[0]] if blocks and lead != blocks[0] else []) + blocks[1:]
    facts = tuple(Fact(f.label, shorten(f.value, MAX_FACT_CHARS)) for f in source.facts)
    guidance = _(
        "Introduce the story in two or three sentences: what happened, who was affected, "
        "how it ended. Remind the room that this review looks at circumstances, not culprits."
    )
    return Slide(
        key="title", title=source.title, lead=lead, facts=facts, notes=tuple(notes or [guidance])
    )


def impact_slides(
    impact: SectionText | None, children: Sequence[SectionText], source: DeckSource
) -> list[Slide]:
    points = _points(impact.body) if impact else []
    for child in children:
        points += _points(child.body, label=child.title)
    if not points and not source.durations:
        return []
    title = impact.title if impact else pgettext("slide title", "Impact")
    guidance = _("Give numbers where you have them: who was affected, how many, for how long.")
    return topic_slides("impact", title, points, guidance, facts=source.durations)


def _moment_label(moment: Moment, same_day: bool) -> str:
    return date_format(moment.at, "H:i" if same_day else "Y-m-d H:i")


def timeline_slides(section: SectionText | None, source: DeckSource) -> list[Slide]:
    """The incident's key moments, with the section's own text in the notes;
    a retrospective (no incident) shows the section's text instead."""
    title = section.title if section else pgettext("slide title", "Timeline")
    body = section.body if section else ""
    guidance = _(
        "Walk through the moments in order, and say what people knew at each one, "
        "not what we know now."
    )
    if not source.moments:
        points = _points(body)
        return topic_slides("timeline", title, points, guidance) if points else []
    same_day = len({moment.at.date() for moment in source.moments}) == 1
    points = [
        Point(moment.text, label=_moment_label(moment, same_day), when=moment.at.isoformat())
        for moment in source.moments
    ]
    lead = _("Key moments, times in %(zone)s.") % {"zone": source.zone} if source.zone else ""
    return topic_slides("timeline", title, points, guidance, lead=lead, notes=text_blocks(body))


LEARNING_GUIDANCE = {
    "contributing_factors": lambda: _(
        "Describe circumstances, not people. Ask the room what else made this possible."
    ),
    "went_well": lambda: _("Name the practices worth keeping, so that other teams can copy them."),
    "got_lucky": lambda: _(
        "What helped by chance will not help next time: say what would make it reliable."
    ),
}


def learning_slides(section: SectionText) -> list[Slide]:
    points = _points(section.body)
    if not points:
        return []
    return topic_slides(section.key, section.title, points, LEARNING_GUIDANCE[section.key]())


def item_detail(item: Item) -> str:
    owner = _("Owner: %(name)s") % {"name": item.owner} if item.owner else _("No owner yet")
    due = _("due %(date)s") % {"date": item.due_on.isoformat()} if item.due_on else _("no due date")
    status = _("status: %(status)s") % {"status": item.status}
    return f"{owner} · {due} · {status}"


def action_item_slides(section: SectionText | None, items: Sequence[Item]) -> list[Slide]:
    title = section.title if section else pgettext("slide title", "Action items")
    notes = text_blocks(section.body) if section else []
    guidance = _("Say who owns each item and when it is due; ask the owners where it stands.")
    if not items:
        return [
            Slide(
                key="action_items",
                title=title,
                lead=_("No action items are recorded yet."),
                notes=tuple(notes or [guidance]),
            )
        ]
    points = [
        Point(shorten(item.title, MAX_POINT_CHARS), label=item.ref, detail=item_detail(item))
        for item in items
    ]
    return topic_slides("action_items", title, points, guidance, notes=notes)


def _children(sections: Sequence[SectionText], parent: str) -> list[SectionText]:
    """The level-3 sections right after `parent`, until the next level 2."""
    keys = [section.key for section in sections]
    if parent not in keys:
        return []
    children = []
    for section in sections[keys.index(parent) + 1 :]:
        if section.level <= 2:
            break
        children.append(section)
    return children


def build_slides(source: DeckSource) -> list[Slide]:
    """The deck, in the order a postmortem is told."""
    by_key = {section.key: section for section in source.sections}
    summary = by_key["summary"].body if "summary" in by_key else ""
    impact = by_key.get("impact")
    slides = [title_slide(source, summary)]
    slides += impact_slides(impact, _children(source.sections, "impact") if impact else [], source)
    slides += timeline_slides(by_key.get("timeline"), source)
    for key in LEARNING_SECTIONS:
        if key in by_key:
            slides += learning_slides(by_key[key])
    if source.items is not None:
        slides += action_item_slides(by_key.get("action_items"), source.items)
    return slides

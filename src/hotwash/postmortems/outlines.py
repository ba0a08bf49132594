"""Postmortem templates ("outlines", to keep the word template for HTML).

Each outline is a YAML file: a key, a name in English and French, the kinds
of postmortem it suits, and its sections in order, each with a title and a
help text in both languages, and the other names (aliases) a section goes by
in documents written elsewhere, which the importer of plain Markdown
recognises (see plain.py). A section marked `extra` holds what such an
import could not place; it is shown, counted and exported only when it has
text. The four shipped outlines live next to this
file; HOTWASH_POSTMORTEM_TEMPLATES names a folder whose files add outlines or
replace shipped ones with the same key. Everything is validated at start-up.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path
from typing import Literal

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hotwash.core.yaml_config import read_yaml, validate
from hotwash.envconfig import ConfigurationError
from hotwash.policies import LocalisedText

SHIPPED = Path(__file__).with_name("outlines")
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
# "1.", "2.3", "A)", "IV." or "Step 2:" before a heading's words (accents
# and case already folded).
_NUMBERING = re.compile(
    r"^(?:(?:step|etape|section|partie|part)\s+)?"
    r"(?:\d+(?:\.\d+)*[.):]?|[ivx]+[.):]|[a-z][.):])(?:\s+|(?=[^\w\s]))"
)
_LEADING = re.compile(r"^[^\w]+")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def fold_heading(text: str) -> str:
    """A heading as compared with section titles and aliases: without
    Markdown emphasis or links, case, accents, numbering ("1.", "2.3", "IV.")
    or punctuation; "Root cause(s)" reads as "root causes"."""
    text = _LINK.sub(r"\1", text).replace("(s)", "s").replace("(es)", "es")
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char)).strip()
    previous = None
    while previous != text:  # "1. a) Summary"
        previous, text = text, _NUMBERING.sub("", _LEADING.sub("", text), count=1)
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())


class Aliases(BaseModel):
    """Other headings a section goes by, by language (compared without case,
    accents, punctuation or numbering)."""

    model_config = ConfigDict(extra="forbid")
    en: list[str] = []
    fr: list[str] = []

    def get(self, language: str) -> list[str]:
        return self.fr if language == "fr" else self.en


class SectionOutline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN, max_length=50)
    title: LocalisedText
    help: LocalisedText | None = None
    aliases: Aliases = Aliases()
    # Where an import keeps the text that matched no other section: shown,
    # counted and exported only when it has text; at most one, and last, so
    # that the headings its text keeps can never be read back as a section.
    extra: bool = False
    level: Literal[2, 3] = 2
    # Facts read from the incident and shown with the section's own text.
    generated: Literal["timeline", "action_items"] | None = None
    # Offer the five-whys helper in the editor.
    five_whys: bool = False


class Outline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN, max_length=50)
    name: LocalisedText
    kinds: list[Literal["incident", "success", "project"]] = Field(min_length=1)
    sections: list[SectionOutline] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> Outline:
        keys = [section.key for section in self.sections]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"section keys must be unique; repeated: {', '.join(duplicates)}")
        if self.sections[0].level != 2:
            raise ValueError("the first section must be at level 2")
        extras = [index for index, section in enumerate(self.sections) if section.extra]
        if extras and (len(extras) > 1 or extras[0] != len(self.sections) - 1):
            raise ValueError("only one section may be extra, and it must be the last one")
        if extras and (self.sections[-1].level != 2 or self.sections[-1].generated):
            raise ValueError("the extra section must be at level 2 and not generated")
        owners: dict[str, str] = {}
        for section in self.sections:
            for name in section_names(section):
                owner = owners.setdefault(fold_heading(name), section.key)
                if owner != section.key:
                    raise ValueError(
                        f"the heading {name!r} would match two sections: {owner} and {section.key}"
                    )
        return self

    def section(self, key: str) -> SectionOutline | None:
        return next((section for section in self.sections if section.key == key), None)

    @property
    def keys(self) -> list[str]:
        return [section.key for section in self.sections]

    @property
    def to_write(self) -> set[str]:
        """The sections that count towards completeness: written by people
        (not only incident facts), and not the extra section, which is
        there only when an import needed it."""
        return {
            section.key for section in self.sections if not section.generated and not section.extra
        }

    @property
    def extra_section(self) -> SectionOutline | None:
        return self.sections[-1] if self.sections[-1].extra else None


def section_names(section: SectionOutline) -> list[str]:
    """Every heading that names the section: its titles, its aliases, and
    its key written as words ("action items")."""
    names = [section.title.en, section.title.fr, section.key.replace("_", " ")]
    return [name for name in [*names, *section.aliases.en, *section.aliases.fr] if name]


def _load_file(path: Path) -> Outline:
    data = read_yaml(path, "postmortem template")
    return validate(Outline, data, f"Postmortem template {path}")


def _files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


@functools.cache
def load_outlines() -> dict[str, Outline]:
    """Every outline in force, by key: shipped ones, then the organisation's."""
    outlines = {outline.key: outline for outline in map(_load_file, _files(SHIPPED))}
    if settings.POSTMORTEM_TEMPLATES:
        folder = Path(settings.POSTMORTEM_TEMPLATES)
        if not folder.is_dir():
            raise ConfigurationError(
                f"HOTWASH_POSTMORTEM_TEMPLATES is {folder}, which is not a folder"
            )
        for outline in map(_load_file, _files(folder)):
            outlines[outline.key] = outline
    return outlines


def get_outline(key: str) -> Outline:
    """The outline named `key`, falling back to the default one when an
    organisation has removed or renamed it since the postmortem was made."""
    outlines = load_outlines()
    return outlines.get(key) or outlines["default"]


def outline_for_kind(kind: str) -> Outline:
    preferred = {"incident": "default", "success": "success", "project": "project"}[kind]
    outlines = load_outlines()
    if preferred in outlines:
        return outlines[preferred]
    return next(outline for outline in outlines.values() if kind in outline.kinds)

"""Postmortem templates ("outlines", to keep the word template for HTML).

Each outline is a YAML file: a key, a name in English and French, the kinds
of postmortem it suits, and its sections in order, each with a title and a
help text in both languages. The four shipped outlines live next to this
file; HOTWASH_POSTMORTEM_TEMPLATES names a folder whose files add outlines or
replace shipped ones with the same key. Everything is validated at start-up.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hotwash.core.yaml_config import read_yaml, validate
from hotwash.envconfig import ConfigurationError
from hotwash.policies import LocalisedText

SHIPPED = Path(__file__).with_name("outlines")
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"


class SectionOutline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN, max_length=50)
    title: LocalisedText
    help: LocalisedText | None = None
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
        return self

    def section(self, key: str) -> SectionOutline | None:
        return next((section for section in self.sections if section.key == key), None)

    @property
    def keys(self) -> list[str]:
        return [section.key for section in self.sections]


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

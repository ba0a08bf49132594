"""Counted phrases agree with their number, in English and in French.

A number put next to a noun in a plain gettext string reads wrong in one of
the languages for some number ("1 sections rédigées sur 3": French takes
the singular for 0 and 1, English for 1 only). So every counted phrase is an
ngettext / `{% blocktranslate count %}` entry, and each is rendered here with
0, 1 and 2 in both languages. The catalogues are read as written (the
completeness test in test_translations.py keeps them in step with the code).
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.template.loader import render_to_string
from django.utils import translation

import hotwash

pytestmark = pytest.mark.database_independent

PACKAGE = Path(hotwash.__file__).parent
CATALOGUES = sorted(PACKAGE.rglob("locale/fr/LC_MESSAGES/django.po"))

# A number, then (after "of <another number>") the word it counts.
NUMBER_THEN_WORD = re.compile(
    r"%\((?P<name>\w+)\)(?P<conversion>[ds])\s+(?:of %\(\w+\)[ds]\s+)?(?P<word>[A-Za-z]+)"
)
# Placeholders written with %s that hold numbers.
NUMERIC_NAMES = re.compile(r"count|total|written|number|hours|minutes|seconds|days|rows|tables")
# Words after a number that count nothing.
NOT_COUNTED = {"d", "h", "min", "s", "of", "is", "to", "and", "or", "would", "needs"}
# Numbers that are limits from the code or settings (never 0 or 1), or
# measures over one.
LIMITS = {"limit", "max", "size", "length", "level"}
# Counted phrases left as plain strings, and why.
NOT_PLURAL = {
    # The editor says "one suggestion" (or "no blameful language") itself.
    "Blameless-language check: %(count)s suggestions.",
    # "open", "overdue", "firing": "en cours", "en retard" do not vary.
    "Your Hotwash week of %(date)s: %(open)d open, %(overdue)d overdue",
    "%(firing)s firing of %(total)s",
    # The French puts the counts after headings ("Créés : 1").
    "Imported: %(created)d created, %(updated)d changed, %(unchanged)d unchanged.",
    "Dry run, nothing changed: %(created)d would be created, %(updated)d changed, "
    "%(unchanged)d unchanged.",
}


def _entries() -> list[tuple[str, polib.POEntry]]:
    return [
        (str(path.relative_to(PACKAGE)), entry)
        for path in CATALOGUES
        for entry in polib.pofile(str(path))
        if not entry.obsolete
    ]


def _glued(msgid: str) -> bool:
    for match in NUMBER_THEN_WORD.finditer(msgid):
        name = match["name"]
        numeric = match["conversion"] == "d" or NUMERIC_NAMES.search(name)
        if numeric and name not in LIMITS and match["word"] not in NOT_COUNTED:
            return True
    return False


def test_no_number_is_glued_to_a_noun_in_a_plain_string() -> None:
    glued = sorted(
        {
            entry.msgid
            for _catalogue, entry in _entries()
            if not entry.msgid_plural and entry.msgid not in NOT_PLURAL and _glued(entry.msgid)
        }
    )
    assert not glued, f"Use ngettext or {{% blocktranslate count %}} for: {glued}"


class _Numbers(dict[str, int]):
    """Every placeholder of a phrase gets the number being counted."""

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number

    def __missing__(self, key: str) -> int:
        return self.number


PLURALS = [
    pytest.param(entry, id=f"{catalogue}:{entry.msgid[:40]}")
    for catalogue, entry in _entries()
    if entry.msgid_plural
]


@pytest.mark.parametrize("entry", PLURALS)
@pytest.mark.parametrize("number", [0, 1, 2])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_counted_phrase_renders_with_0_1_and_2(
    entry: polib.POEntry, number: int, language: str
) -> None:
    if language == "en":
        form = entry.msgid if number == 1 else entry.msgid_plural
    else:  # French: the singular for 0 and 1
        form = entry.msgstr_plural[0 if number <= 1 else 1]
    with translation.override(language):
        if entry.msgctxt:
            text = translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, number)
        else:
            text = translation.ngettext(entry.msgid, entry.msgid_plural, number)
    assert text == form, "compiled catalogue out of date (run compilemessages)"
    rendered = text % _Numbers(number)
    assert "%(" not in rendered


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["0 of 3 sections written", "1 of 3 sections written", "2 of 3 sections written"]),
        ("fr", ["0 section rédigée sur 3", "1 section rédigée sur 3", "2 sections rédigées sur 3"]),
    ],
)
def test_a_postmortems_versions_count_its_sections(language: str, expected: list[str]) -> None:
    versions = [
        {"code": "en", "name": "English", "written": written, "total": 3} for written in (0, 1, 2)
    ]
    with translation.override(language):
        html = render_to_string("postmortems/_versions.html", {"versions": versions})
    counts = re.findall(r'<span class="pm-versions__count">([^<]*)</span>', html)
    assert counts == expected

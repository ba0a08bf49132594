"""The French catalogue is complete and compiled.

`makemessages` runs on a copy of the package, so the test sees exactly the
strings the code and templates use today, and fails on any that has no
French translation (or only a fuzzy one). The package has one catalogue for
the core apps (src/hotwash/locale) and one per app that keeps its own
(src/hotwash/<app>/locale); makemessages files each string in the nearest.
"""

from __future__ import annotations

import gettext
import os
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings

import hotwash

# Touches no database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = pytest.mark.database_independent

PACKAGE = Path(hotwash.__file__).parent
DOMAINS = ["django"]


def _catalogue_dirs(root: Path) -> list[Path]:
    return sorted(path.parent for path in root.rglob("locale/fr/LC_MESSAGES/django.po"))


CATALOGUES = {str(path.relative_to(PACKAGE)): path for path in _catalogue_dirs(PACKAGE)}


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory: pytest.TempPathFactory) -> dict[str, polib.POFile]:
    """Every catalogue makemessages writes, keyed "<catalogue dir>:<domain>"."""
    copy = tmp_path_factory.mktemp("i18n") / "hotwash"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    cwd = Path.cwd()
    os.chdir(copy)
    try:
        with override_settings(LOCALE_PATHS=[copy / "locale"]):
            for domain in DOMAINS:
                call_command(
                    "makemessages",
                    locale=["fr"],
                    domain=domain,
                    no_location=True,
                    no_obsolete=True,
                    verbosity=0,
                )
    finally:
        os.chdir(cwd)
    return {
        f"{directory.relative_to(copy)}:{path.stem}": polib.pofile(str(path))
        for directory in _catalogue_dirs(copy)
        for path in sorted(directory.glob("*.po"))
    }


def test_every_string_has_a_french_translation(fresh_catalogues: dict[str, polib.POFile]) -> None:
    assert fresh_catalogues
    for name, catalogue in fresh_catalogues.items():
        missing = [entry.msgid for entry in catalogue.untranslated_entries()]
        fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
        assert not missing, f"Untranslated in {name} (run `make messages`): {missing[:20]}"
        assert not fuzzy, f"Fuzzy translations in {name}: {fuzzy[:20]}"


@pytest.mark.parametrize(
    ("catalogue", "domain"),
    [
        (name, path.stem)
        for name, directory in CATALOGUES.items()
        for path in sorted(directory.glob("*.po"))
    ],
)
def test_the_compiled_catalogue_matches_the_source(catalogue: str, domain: str) -> None:
    directory = CATALOGUES[catalogue]
    source = polib.pofile(str(directory / f"{domain}.po"))
    with (directory / f"{domain}.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        entry.msgid
        for entry in source.translated_entries()
        if not entry.msgid_plural
        and (
            compiled.pgettext(entry.msgctxt, entry.msgid)
            if entry.msgctxt
            else compiled.gettext(entry.msgid)
        )
        != entry.msgstr
    ]
    assert not stale, f"{domain}.mo is out of date (run `make messages`): {stale[:10]}"

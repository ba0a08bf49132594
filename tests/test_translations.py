"""The French catalogue is complete and compiled.

`makemessages` runs on a copy of the package, so the test sees exactly the
strings the code and templates use today, and fails on any that has no
French translation (or only a fuzzy one).
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

PACKAGE = Path(hotwash.__file__).parent
CATALOGUE = PACKAGE / "locale" / "fr" / "LC_MESSAGES"
DOMAINS = ["django"]


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory: pytest.TempPathFactory) -> dict[str, polib.POFile]:
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
        domain: polib.pofile(str(copy / "locale" / "fr" / "LC_MESSAGES" / f"{domain}.po"))
        for domain in DOMAINS
    }


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_string_has_a_french_translation(
    fresh_catalogues: dict[str, polib.POFile], domain: str
) -> None:
    catalogue = fresh_catalogues[domain]
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not missing, f"Untranslated in {domain}.po (run `make messages`): {missing[:20]}"
    assert not fuzzy, f"Fuzzy translations in {domain}.po: {fuzzy[:20]}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalogue_matches_the_source(domain: str) -> None:
    source = polib.pofile(str(CATALOGUE / f"{domain}.po"))
    with (CATALOGUE / f"{domain}.mo").open("rb") as handle:
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

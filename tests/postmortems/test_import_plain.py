"""Importing postmortems written elsewhere: Markdown without front matter,
and front matter without `kind`. Headings are matched to the closest
template in either language, what matches nothing is kept in the extra
section, every assumption is reported per file, and the result exports with
front matter that imports again to the same postmortem."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from pytest_django import Settings

from hotwash.postmortems import services
from hotwash.postmortems.importing import ImportResult, import_file, import_paths
from hotwash.postmortems.markdown import export_file, export_files
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.outlines import get_outline, load_outlines
from hotwash.postmortems.plain import match_heading, names
from hotwash.postmortems.views.common import section_views

pytestmark = pytest.mark.django_db

OUTAGE = """# Database outage on 3 March

**Severity:** SEV2
**Date:** 2026-03-03

## 1. Executive Summary

The primary database ran out of disk.

## Customer impact

Checkout failed for 40 minutes.

## Timeline of events

### 09:00

Disk alert.

### 09:40

Recovered.

## Root cause(s)

Log rotation was off.

## Lessons learned

### What went well

The runbook.

## Action items

- Turn log rotation back on.

## Customer communication

We posted on the status page.

## Summary

A second summary, from another author.
"""

PROJET = """# Rétrospective du projet Atlas

## Résumé

Le projet a livré avec trois mois de retard.

## Prévu vs réalisé

Trois mois prévus, six réalisés.

## Ce qui a bien marché

L'équipe.

## Difficultés

Les dépendances.

## Leçons apprises

Découper plus tôt.

## Actions correctives

- Un jalon par mois.
"""


def _import(name: str, text: str) -> ImportResult:
    result = import_file(name, text.encode())
    assert result.error is None, result.error
    assert result.postmortem is not None
    return result


def _bodies(postmortem: Postmortem, language: str = "en") -> dict[str, str]:
    return dict(postmortem.sections.filter(language=language).values_list("key", "body"))


# --- matching headings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("Summary", "summary"),
        ("1. Summary", "summary"),
        ("**2.3 Impact**", "impact"),
        ("IV. LESSONS LEARNED", "lessons"),
        ("Lessons learnt", "lessons"),
        ("Lesons learned", "lessons"),  # misspelt
        ("Leçons apprises", "lessons"),
        ("« Leçons apprises »", "lessons"),
        ("enseignements", "lessons"),
        ("Root cause(s)", "contributing_factors"),
        ("Root cause analysis", "contributing_factors"),
        ("Causes racines", "contributing_factors"),
        ("Action items:", "action_items"),
        ("Actions correctives", "action_items"),
        ("Next steps", "action_items"),
        ("Incident summary", "summary"),
        ("Résumé de l'incident", "summary"),
        ("Impact on end users", "impact_end_users"),
        ("Timeline of events", "timeline"),
        ("Chronologie", "timeline"),
        ("Resolution", "resolution"),
        ("Résolution et rétablissement", "resolution"),
        ("Where we got lucky", "got_lucky"),
        ("What didn't go well?", "went_wrong"),
        ("Other notes", "other_notes"),
        ("Customer communication", None),
        ("Other stakeholders", None),
        ("Budget", None),
    ],
)
def test_headings_match_the_full_postmortems_sections(heading: str, key: str | None) -> None:
    match = match_heading(heading, names(get_outline("default")))
    assert (match.section.key if match else None) == key


def test_the_language_of_a_match_is_known() -> None:
    known = names(get_outline("default"))
    french = match_heading("Leçons apprises", known)
    english = match_heading("Lessons learned", known)
    both = match_heading("Impact", known)
    assert french is not None and french.language == "fr"
    assert english is not None and english.language == "en"
    assert both is not None and both.language is None


# --- plain Markdown -----------------------------------------------------------------


def test_a_plain_incident_postmortem_is_read_into_the_full_template(responder: User) -> None:
    result = _import("db-outage.md", OUTAGE)
    postmortem = result.postmortem
    assert postmortem is not None and result.created
    assert postmortem.title == "Database outage on 3 March"
    assert (postmortem.kind, postmortem.template) == ("incident", "default")
    assert postmortem.original_language == "en"
    assert postmortem.incident is None
    # The file's whole name: "INC-12.md" is never taken for an incident here.
    assert postmortem.external_incident == "db-outage.md"
    assert postmortem.imported_header == {"severity": 2}
    bodies = _bodies(postmortem)
    assert bodies["summary"] == "The primary database ran out of disk."
    assert bodies["impact"] == "Checkout failed for 40 minutes."
    # Sub-headings that match nothing stay in their section's text.
    assert bodies["timeline"] == "### 09:00\n\nDisk alert.\n\n### 09:40\n\nRecovered."
    assert bodies["contributing_factors"] == "Log rotation was off."
    assert "lessons" not in bodies  # its heading only introduces the next ones
    assert bodies["went_well"] == "The runbook."
    assert bodies["action_items"] == "- Turn log rotation back on."
    # Nothing is lost: the text before the first section, the heading that
    # matches nothing and the second summary, in the order of the file.
    assert bodies["other_notes"] == (
        "**Severity:** SEV2\n**Date:** 2026-03-03\n\n"
        "## Customer communication\n\nWe posted on the status page.\n\n"
        "## Summary\n\nA second summary, from another author."
    )
    assert result.assumed == [
        "Title taken from the first heading (line 1): “Database outage on 3 March”.",
        "Kind: Incident postmortem, because the text gives a severity (SEV2, line 3).",
        "Template: “Full postmortem”, headings read in English: 7 of its 18 sections found.",
        "No incident named: the file's name, “db-outage.md”, stands for it.",
        "“1. Executive Summary” (line 6) → Summary.",
        "“Customer impact” (line 10) → Impact.",
        "“Timeline of events” (line 14) → Timeline.",
        "“Root cause(s)” (line 24) → Contributing factors.",
        "“Lessons learned” (line 28) → Lessons learned.",
        "“What went well” (line 30) → What went well.",
        "“Action items” (line 34) → Action items.",
        "Text before the first section (line 3): kept in “Other notes”.",
        "“Customer communication” (line 38) matches no section: kept in “Other notes”.",
        "“Summary” (line 42): “Summary” already has text from line 6; kept in “Other notes”.",
    ]


def test_a_plain_french_retrospective_gets_the_project_template_in_french(
    responder: User,
) -> None:
    result = _import("atlas.md", PROJET)
    postmortem = result.postmortem
    assert postmortem is not None
    assert (postmortem.kind, postmortem.template) == ("project", "project")
    assert postmortem.original_language == "fr"
    assert postmortem.external_incident == ""
    bodies = _bodies(postmortem, "fr")
    assert bodies == {
        "summary": "Le projet a livré avec trois mois de retard.",
        "expectations": "Trois mois prévus, six réalisés.",
        "went_well": "L'équipe.",
        "went_wrong": "Les dépendances.",
        "lessons": "Découper plus tôt.",
        "action_items": "- Un jalon par mois.",
    }
    assert (
        "Kind: Retrospective of a project or partnership, because its headings match"
        in (result.assumed[1])
    )
    assert "headings read in French: 6 of its 10 sections found" in result.assumed[2]
    assert "“Prévu vs réalisé” (line 7) → Expected and actual." in result.assumed


def test_headings_of_a_success_pick_the_success_template(responder: User) -> None:
    text = (
        "# Zero-downtime migration\n\n## Summary\n\nDone.\n\n## Why it worked\n\nRehearsals.\n\n"
        "## What could be improved\n\nThe docs.\n"
    )
    postmortem = _import("migration.md", text).postmortem
    assert postmortem is not None
    assert (postmortem.kind, postmortem.template) == ("success", "success")
    assert _bodies(postmortem)["could_be_better"] == "The docs."


def test_a_tie_between_templates_goes_to_a_project_retrospective_without_a_severity(
    responder: User,
) -> None:
    text = "# Quarterly review\n\n## What went well\n\nA lot.\n\n## Action items\n\n- More.\n"
    result = _import("review.md", text)
    assert result.postmortem is not None
    assert result.postmortem.kind == "project"
    with_severity = text.replace("\n\n## What", "\n\nSeverity: 3\n\n## What", 1)
    result = _import("incident-review.md", with_severity.replace("Quarterly", "Incident"))
    assert result.postmortem is not None
    assert (result.postmortem.kind, result.postmortem.imported_header) == (
        "incident",
        {"severity": 3},
    )


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("Just some text.\n", 1, "no front matter and no heading"),
        ("", 1, "no front matter and no heading"),
        ("## Summary\n\nText.\n", 1, "names a section, not the postmortem"),
        ("Intro.\n\n# Lessons learned\n", 3, "names a section"),
    ],
)
def test_a_plain_file_without_a_title_is_refused(
    responder: User, text: str, line: int, words: str
) -> None:
    result = import_file("notes.md", text.encode())
    assert result.error is not None
    assert (result.error.line, words in result.error.message) == (line, True), result.error
    assert Postmortem.objects.count() == 0


def test_importing_a_plain_file_again_updates_the_same_postmortem(responder: User) -> None:
    first = _import("db-outage.md", OUTAGE)
    again = _import("db-outage.md", OUTAGE.replace("40 minutes", "42 minutes"))
    assert again.postmortem == first.postmortem and not again.created
    assert Postmortem.objects.count() == 1
    assert again.postmortem is not None
    assert _bodies(again.postmortem)["impact"] == "Checkout failed for 42 minutes."
    # Another file of the same title is another incident's postmortem.
    other = _import("other/db-outage-2.md", OUTAGE)
    assert other.created and Postmortem.objects.count() == 2


# --- front matter without kind -------------------------------------------------------


def test_front_matter_with_a_severity_and_no_kind_is_an_incident_postmortem(
    responder: User,
) -> None:
    text = (
        "---\ntitle: Cache stampede\nseverity: SEV3\nstatus: published\n---\n\n"
        "# Cache stampede\n\n## Summary\n\nThe cache expired at once.\n\n"
        "## Contributing factors\n\nSame TTL everywhere.\n\n## Action items\n\n- Jitter.\n"
    )
    result = _import("2026-02-cache.md", text)
    postmortem = result.postmortem
    assert postmortem is not None
    assert (postmortem.kind, postmortem.status) == ("incident", "published")
    # Three sections found in both incident templates: the shorter wins.
    assert postmortem.template == "lightweight"
    assert postmortem.imported_header == {"severity": 3}
    assert postmortem.external_incident == "2026-02-cache.md"
    assert _bodies(postmortem) == {
        "summary": "The cache expired at once.",
        "contributing_factors": "Same TTL everywhere.",
        "action_items": "- Jitter.",
    }
    assert result.assumed[0] == (
        "Kind: Incident postmortem, because the front matter gives a severity (SEV3)."
    )
    assert not any("Title taken" in line for line in result.assumed)


def test_front_matter_naming_an_incident_is_hotwashs_format_with_the_kind_reported(
    responder: User,
) -> None:
    # As before: an incident named is enough, the headings are the template's.
    text = "---\ntitle: Outage\nincident: OPS-77\n---\n\n## Summary\n\nDown.\n"
    result = _import("ops-77.md", text)
    assert result.postmortem is not None
    assert (result.postmortem.kind, result.postmortem.external_incident) == ("incident", "OPS-77")
    assert _bodies(result.postmortem) == {"summary": "Down."}
    assert result.assumed == [
        "Kind: Incident postmortem, because the front matter names an incident (OPS-77)."
    ]


def test_front_matter_without_kind_or_severity_is_a_project_retrospective(
    responder: User,
) -> None:
    text = (
        "---\ntitle: Partner onboarding\ndate: 2026-01-15\nreviewers: [lea, tom]\n"
        "tags: [partners]\n---\n\nIntro paragraph.\n\n## Challenges\n\nContracts.\n\n"
        "## Budget\n\nOver by 10 %.\n"
    )
    result = _import("onboarding.md", text)
    postmortem = result.postmortem
    assert postmortem is not None
    assert (postmortem.kind, postmortem.template) == ("project", "project")
    assert postmortem.tags == ["partners"]
    bodies = _bodies(postmortem)
    assert bodies["went_wrong"] == "Contracts."
    # Front matter Hotwash has no field for is text too: kept, as YAML.
    assert bodies["other_notes"] == (
        "```yaml\ndate: 2026-01-15\nreviewers:\n- lea\n- tom\n```\n\nIntro paragraph.\n\n"
        "## Budget\n\nOver by 10 %."
    )
    assert result.assumed[0] == (
        "Kind: Retrospective of a project or partnership, because the front matter names no "
        "incident and no severity."
    )
    assert (
        "Front matter Hotwash does not use (date, reviewers): kept in “Other notes”."
        in result.assumed
    )


def test_front_matter_with_a_kind_is_read_as_before(responder: User) -> None:
    # Hotwash's own format: exact headings, nothing assumed.
    text = "---\ntitle: Launch\nkind: success\n---\n\n# Launch\n\n## Summary\n\nFine.\n"
    result = _import("launch.md", text)
    assert result.assumed == []


# --- nothing is lost ---------------------------------------------------------------------


@pytest.fixture
def strict_template(tmp_path: Path, settings: Settings) -> Iterator[None]:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "strict.yaml").write_text(
        "key: strict\nname: {en: Strict}\nkinds: [project]\nsections:\n"
        "  - key: summary\n    title: {en: Summary, fr: Résumé}\n",
        encoding="utf-8",
    )
    settings.POSTMORTEM_TEMPLATES = str(folder)
    load_outlines.cache_clear()
    yield
    settings.POSTMORTEM_TEMPLATES = ""
    load_outlines.cache_clear()


@pytest.mark.usefixtures("strict_template")
def test_an_import_that_would_lose_text_is_refused(responder: User) -> None:
    text = "---\ntitle: Retro\ntemplate: strict\n---\n\n## Summary\n\nOk.\n\n## Budget\n\nLost?\n"
    result = import_file("retro.md", text.encode())
    assert result.error is not None
    assert result.error.line == 10
    assert "would be lost" in result.error.message
    assert "strict" in result.error.message
    assert Postmortem.objects.count() == 0
    # Everything placed: imported.
    result = import_file("retro.md", text.replace("## Budget\n\nLost?\n", "").encode())
    assert result.error is None, result.error
    assert result.postmortem is not None and result.postmortem.template == "strict"


# --- the round trip -------------------------------------------------------------------


def test_an_imported_plain_file_exports_with_front_matter_and_imports_to_the_same(
    responder: User, tmp_path: Path
) -> None:
    outage = _import("db-outage.md", OUTAGE).postmortem
    atlas = _import("atlas.md", PROJET).postmortem
    assert outage is not None and atlas is not None
    exported = {
        exported.name: exported.text
        for postmortem in (outage, atlas)
        for exported in export_files(postmortem)
    }
    outage_file = exported[f"{outage.ref}-database-outage-on-3-march.md"]
    assert outage_file.startswith("---\ntitle: Database outage on 3 March\n")
    assert "\nincident: db-outage.md\nkind: incident\ntemplate: default\nseverity: SEV2\n" in (
        outage_file
    )
    assert "\n## Other notes\n\n**Severity:** SEV2\n" in outage_file
    # Imported again here: the same postmortems, unchanged.
    for name, text in exported.items():
        result = _import(name, text)
        assert not result.created and result.assumed == []
    assert Postmortem.objects.count() == 2
    # Into an installation without them: the same files again.
    snapshot = {pk: _bodies(Postmortem.objects.get(pk=pk), "en") for pk in (outage.pk,)}
    for postmortem in Postmortem.objects.all():
        postmortem.sections.all().delete()
    Postmortem.objects.all().delete()
    for name, text in exported.items():
        assert _import(name, text).created
    again = {
        exported.name: exported.text
        for postmortem in Postmortem.objects.order_by("pk")
        for exported in export_files(postmortem)
    }
    assert again == exported
    assert _bodies(Postmortem.objects.get(pk=outage.pk), "en") == snapshot[outage.pk]


def test_the_extra_section_shows_only_when_it_has_text(responder: User) -> None:
    plain = services.create_retrospective(actor=responder, title="Launch", kind="project")
    assert "other_notes" not in [view.key for view in section_views(plain, "en")]
    assert "## Other notes" not in export_file(plain).text
    assert services.completeness(plain)["en"] == (0, 8)
    imported = _import("onboarding.md", "# Onboarding\n\n## Budget\n\nOver.\n").postmortem
    assert imported is not None
    views = {view.key: view for view in section_views(imported, "en")}
    assert views["other_notes"].body == "## Budget\n\nOver."
    assert views["other_notes"].title == "Other notes"
    # It does not count towards completeness: it is not a section to write.
    assert services.completeness(imported)["en"] == (0, 8)


def test_the_page_shows_the_extra_section(responder_client: Client) -> None:
    imported = _import("onboarding.md", "# Onboarding\n\n## Budget\n\nOver by 10 %.\n").postmortem
    assert imported is not None
    page = responder_client.get(f"/en/postmortems/{imported.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Other notes" in html and "Over by 10 %." in html


# --- the command -------------------------------------------------------------------------


def test_the_command_reports_what_it_assumed_per_file(responder: User, tmp_path: Path) -> None:
    (tmp_path / "db-outage.md").write_text(OUTAGE, encoding="utf-8")
    (tmp_path / "atlas.md").write_text(PROJET, encoding="utf-8")
    (tmp_path / "empty.md").write_text("no heading\n", encoding="utf-8")
    exported = tmp_path / "exported"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 file failed"):
        call_command("import-postmortems", str(tmp_path), "--no-progress", stdout=out, stderr=err)
    report = out.getvalue()
    assert "Imported 2 of 3 files (new: 2, updated: 0)." in report
    assert f"{tmp_path / 'atlas.md'}:\n" in report
    assert "  “Leçons apprises” (line 19) → Lessons learned.\n" in report
    assert f"{tmp_path / 'db-outage.md'}:\n" in report
    assert "  Kind: Incident postmortem, because the text gives a severity (SEV2, line 3).\n" in (
        report
    )
    assert f"{tmp_path / 'empty.md'}:1: The file has no front matter" in err.getvalue()
    # Exported and imported again, nothing is assumed any more.
    call_command("export-postmortems", str(exported), stdout=io.StringIO())
    results = list(import_paths(sorted(exported.glob("*.md"))))
    assert [(result.error, result.created, result.assumed) for result in results] == [
        (None, False, []),
        (None, False, []),
    ]


def test_front_matter_kept_as_text_survives_backticks_in_its_values(responder: User) -> None:
    text = '---\ntitle: Retro\nnote: "run ``` fences"\n---\n\n## Summary\n\nOk.\n'
    postmortem = _import("retro.md", text).postmortem
    assert postmortem is not None
    assert _bodies(postmortem)["other_notes"] == "````yaml\nnote: run ``` fences\n````"

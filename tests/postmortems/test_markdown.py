"""Postmortems as Markdown: the file format, the importer's errors, and the
round trip export → import into an empty installation → export, which must
give byte-identical files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
import yaml
from django.contrib.auth.models import User

from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident
from hotwash.postmortems import services
from hotwash.postmortems.importing import import_file, import_paths
from hotwash.postmortems.markdown import export_file, export_files
from hotwash.postmortems.models import Postmortem, Section

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

CODE = """Le disque s'est rempli ; voici la commande :

```sh
## not a heading: a comment in a code block
df -h /var/lib/postgresql
```

| métrique | avant | après |
|---|---:|:-:|
| p99 (ms) | 120 | 4 800 |

Emoji 🚒 and “quotes” — and `## inline`."""


def _section(postmortem: Postmortem, actor: User, key: str, language: str, body: str) -> None:
    current = Section.objects.filter(postmortem=postmortem, key=key, language=language).first()
    services.save_section(
        postmortem,
        actor=actor,
        key=key,
        language=language,
        body=body,
        base_version=current.version if current else 0,
    )


def make_incident_postmortem(actor: User, other: User) -> Postmortem:
    with time_machine.travel(STARTED + timedelta(minutes=20), tick=False):
        incident = incidents.declare_incident(
            actor=actor,
            title="Checkout fails: Zahlungen schlagen fehl",
            severity=2,
            summary="Payments time out.",
            services=["checkout", "payments"],
            impact_started_at=STARTED,
            detected_at=STARTED + timedelta(minutes=5),
        )
        incidents.assign_role(incident, actor=actor, role="commander", user=actor)
        incidents.add_timeline_event(
            incident, actor=actor, body="Rolled back the 09:02 deploy.", key_moment=True
        )
    with time_machine.travel(STARTED + timedelta(hours=1, minutes=5), tick=False):
        incidents.set_status(incident, actor=actor, status="resolved")
    postmortem = services.update_postmortem(
        Postmortem.objects.get(incident=incident),
        actor=actor,
        changes={"tags": ["database", "disk"], "authors": [actor.username, other.username]},
    )
    _section(postmortem, actor, "summary", "en", "The **database** disk filled up.\n\nTwo lines.")
    _section(postmortem, actor, "impact_end_users", "en", "- 12 % of payments failed\n- ünïcödé")
    _section(postmortem, actor, "contributing_factors", "en", CODE)
    _section(postmortem, actor, "timeline", "en", "Context for the key moments.")
    _section(postmortem, actor, "summary", "fr", "Le disque de la base s'est rempli.")
    _section(postmortem, actor, "resolution", "fr", CODE)
    return postmortem


def make_retrospectives(actor: User) -> list[Postmortem]:
    success = services.create_retrospective(
        actor=actor,
        title="Migration sans interruption de la base",
        kind="success",
        language="fr",
        services=["db"],
        tags=["migration"],
        period_start="2026-10-01",
        period_end="2026-10-31",
    )
    _section(success, actor, "summary", "fr", "Aucune interruption. 🎉")
    _section(success, actor, "went_well", "en", "Rehearsals.\n\n### A sub-heading of our own")
    project = services.create_retrospective(
        actor=actor, title="Partner API integration", kind="project", due_on="2026-12-15"
    )
    _section(project, actor, "summary", "en", CODE)
    _section(project, actor, "expectations", "en", "3 months planned; 7 taken.")
    return [success, project]


def export_all() -> dict[str, str]:
    files: dict[str, str] = {}
    for postmortem in Postmortem.objects.order_by("pk"):
        for exported in export_files(postmortem):
            files[exported.name] = exported.text
    return files


def import_all(files: dict[str, str], tmp_path: Path) -> list[Any]:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return list(import_paths(sorted(folder.glob("*.md"))))


def forget_postmortems() -> None:
    for postmortem in Postmortem.objects.all():
        postmortem.sections.all().delete()
    Postmortem.objects.all().delete()


# --- the format -----------------------------------------------------------------


def test_an_incident_postmortem_exports_as_one_file_with_front_matter(
    responder: User, other_responder: User
) -> None:
    postmortem = make_incident_postmortem(responder, other_responder)
    exported = export_file(postmortem)
    assert exported.name == f"PM-{postmortem.pk}-checkout-fails-zahlungen-schlagen-fehl.md"
    text = exported.text
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["title"] == "Checkout fails: Zahlungen schlagen fehl"
    assert front["id"] == postmortem.ref
    assert front["incident"] == postmortem.incident.ref  # type: ignore[union-attr]
    assert front["severity"] == "SEV2"
    assert front["status"] == "draft"
    assert front["owner"] == "amira"
    assert front["authors"] == ["amira", "sam"]
    assert front["tags"] == ["database", "disk"]
    assert front["services"] == ["checkout", "payments"]
    assert front["language"] == "en"
    assert front["incident_times"]["impact_started"] == STARTED
    assert front["created"].tzinfo is not None
    assert "\n# Checkout fails: Zahlungen schlagen fehl\n" in text
    assert "\n## Summary\n\nThe **database** disk filled up.\n\nTwo lines.\n" in text
    assert "\n### End users\n" in text
    # Generated facts sit in marked blocks: durations in the header block,
    # key moments at the top of the timeline section.
    header = text.split("<!-- hotwash:facts header -->\n")[1].split("<!-- /hotwash:facts -->")[0]
    assert "- Time to detect: 5 min\n" in header
    assert "- Commander: amira\n" in header
    timeline = text.split("## Timeline\n\n<!-- hotwash:facts timeline -->\n")[1]
    assert timeline.startswith("- 2026-11-25 09:20 UTC — Incident declared: ")
    assert "\n- 2026-11-25 09:20 UTC — Rolled back the 09:02 deploy. (amira)\n" in timeline
    assert "<!-- /hotwash:facts -->\n\nContext for the key moments.\n" in timeline


def test_the_other_language_is_its_own_file_with_titles_in_that_language(
    responder: User, other_responder: User
) -> None:
    postmortem = make_incident_postmortem(responder, other_responder)
    original, french = export_files(postmortem)
    assert french.name == original.name.removesuffix(".md") + ".fr.md"
    assert "language: fr\n" in french.text
    assert "original_language: en\n" in french.text
    assert "\n## Résumé\n\nLe disque de la base s'est rempli.\n" in french.text
    assert "\n## Résolution et rétablissement\n" in french.text


def test_a_version_without_text_is_not_exported(responder: User) -> None:
    project = services.create_retrospective(actor=responder, title="Quiet", kind="project")
    assert [file.name for file in export_files(project)] == [f"{project.ref}-quiet.md"]


# --- the round trip -------------------------------------------------------------


def test_round_trip_with_the_incidents_present(
    responder: User, other_responder: User, tmp_path: Path
) -> None:
    make_incident_postmortem(responder, other_responder)
    make_retrospectives(responder)
    before = export_all()
    assert len(before) == 5  # the incident's two languages, the success's two, the project
    forget_postmortems()
    results = import_all(before, tmp_path)
    assert [r.error for r in results] == [None] * 5
    assert Postmortem.objects.count() == 3
    assert export_all() == before


def test_round_trip_into_an_installation_without_the_incidents_or_people(
    responder: User, other_responder: User, tmp_path: Path
) -> None:
    postmortem = make_incident_postmortem(responder, other_responder)
    make_retrospectives(responder)
    before = export_all()
    incident_ref = postmortem.incident.ref  # type: ignore[union-attr]
    forget_postmortems()
    Incident.objects.all().delete()
    User.objects.all().delete()
    import_all(before, tmp_path)
    imported = Postmortem.objects.get(pk=postmortem.pk)
    after = export_all()
    for name in before:
        import difflib

        assert after[name] == before[name], "\n".join(
            difflib.unified_diff(before[name].split("\n"), after[name].split("\n"), lineterm="")
        )
    assert imported.incident is None
    assert imported.external_incident == incident_ref
    assert "Time to detect" in imported.imported_facts["en"]["header"]
    assert imported.imported_header["owner"] == "amira"
    assert export_all() == before
    # And again: importing the same files changes nothing.
    import_all(before, tmp_path)
    assert Postmortem.objects.count() == 3
    assert export_all() == before


TRICKY = [
    "    indented code at the start\n\ntrailing spaces   ",
    "---\nnot: front matter\n---",
    "# An H1 inside a section\n\n#### A deep heading\n\n## Summary\n\n(an earlier title)",
    "~~~\n## Contributing factors\n~~~\n\n````md\n```\n### Where we got lucky\n```\n````",
    "Text\n\n<!-- hotwash:facts header -->\nnot at the start, so it is text\n"
    "<!-- /hotwash:facts -->",
    "Windows line ends\r\nbecome Unix ones\r\n\tand tabs stay",
    "Ελληνικά, 日本語, العربية, emoji 👩🏽‍💻, zero\u200bwidth",
    "```python\nan unclosed code block\n## Where we got lucky\n(still code)",
    "```\n```python is not a closing fence\n## What could be better\n```",
    # Read as the page renders them: a fence opened on a list item's line, a
    # heading inside a list item, a block quote, a setext heading.
    "- a step:\n  ```\n  ## Where we got lucky\n  ```",
    "- ```sh\n  ## Where we got lucky\n  ```",
    "1. first\n\n   ## What could be better\n\n2. second",
    "> ## Where we got lucky\n> quoted",
    "Where we got lucky\n------------------",
    "~~~\n## Where we got lucky\n~~~~~\n\nafter the code",
]


@pytest.mark.parametrize("body", TRICKY)
def test_tricky_texts_survive_the_round_trip(responder: User, tmp_path: Path, body: str) -> None:
    success = services.create_retrospective(actor=responder, title="Tricky", kind="success")
    _section(success, responder, "went_well", "en", body)
    _section(success, responder, "summary", "en", "Before.")
    _section(success, responder, "got_lucky", "en", "After.")
    before = export_all()
    forget_postmortems()
    assert [result.error for result in import_all(before, tmp_path)] == [None]
    assert export_all() == before
    imported = Postmortem.objects.get()
    assert imported.sections.get(key="summary").body == "Before."
    assert imported.sections.get(key="got_lucky").body == "After."


def test_importing_updates_the_matching_postmortem_with_a_new_version(
    responder: User, other_responder: User, tmp_path: Path
) -> None:
    postmortem = make_incident_postmortem(responder, other_responder)
    exported = export_file(postmortem)
    version = postmortem.sections.get(key="summary", language="en").version
    edited = exported.text.replace("Two lines.", "Three lines.")
    result = import_file(exported.name, edited.encode())
    assert result.error is None and not result.created
    assert result.postmortem == postmortem
    summary = postmortem.sections.get(key="summary", language="en")
    assert summary.body.endswith("Three lines.")
    assert summary.version == version + 1
    assert AuditRecord.objects.filter(action="postmortem.imported").count() == 1


def test_a_new_id_is_taken_when_the_files_one_is_in_use(responder: User, tmp_path: Path) -> None:
    project = services.create_retrospective(actor=responder, title="Partner", kind="project")
    _section(project, responder, "summary", "fr", "Texte.")
    files = {file.name: file.text for file in export_files(project)}
    assert len(files) == 2
    # The number now belongs to a different postmortem (another kind).
    Postmortem.objects.filter(pk=project.pk).update(kind="success", template="success", title="X")
    results = import_all(files, tmp_path)
    assert all(result.error is None for result in results)
    created = Postmortem.objects.get(title="Partner")
    assert created.pk != project.pk
    # Both language versions landed on the same new postmortem.
    assert set(created.sections.values_list("language", flat=True)) == {"fr"}
    assert Postmortem.objects.count() == 2


def test_an_incident_here_with_the_same_number_but_declared_at_another_time_is_not_it(
    responder: User, other_responder: User, tmp_path: Path
) -> None:
    postmortem = make_incident_postmortem(responder, other_responder)
    files = {file.name: file.text for file in export_files(postmortem)}
    forget_postmortems()
    incident = Incident.objects.get()
    Incident.objects.filter(pk=incident.pk).update(
        declared_at=incident.declared_at - timedelta(days=1)
    )
    import_all(files, tmp_path)
    imported = Postmortem.objects.get()
    assert imported.incident is None
    assert imported.external_incident == incident.ref
    assert export_all() == files


# --- malformed files ----------------------------------------------------------------


GOOD = """---
title: A hand-written retrospective
kind: success
language: en
tags: [handmade]
---

# A hand-written retrospective

## Summary

It went well.

## Some heading of our own

Kept as text of the summary.

## What went well

Everything.
"""


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("no front matter\n", 1, "front matter"),
        ("---\ntitle: x\n", 1, "not closed"),
        ("---\ntitle: x\nkind: [unclosed\n---\n", 3, "not valid YAML"),
        ("---\nkind: success\n---\n## Summary\n", 1, "no title"),
        ("---\ntitle: x\nincident: INC-9\nseverity: SEV7\n---\n", 4, "Unknown severity"),
        ("---\ntitle: x\nkind: party\n---\n", 3, "Unknown kind"),
        ("---\ntitle: x\nkind: success\nstatus: lost\n---\n", 4, "Unknown status"),
        ("---\ntitle: x\nkind: success\ndue: soon\n---\n", 4, "not a date"),
        ("---\ntitle: x\nkind: success\n---\n\nPreamble.\n\n## Summary\n", 6, "before the first"),
        ("---\ntitle: x\nkind: success\n---\n## Summary\n<!-- hotwash:facts x -->\n", 6, "closed"),
        ("---\ntitle: x\nkind: success\nlanguage: de\n---\n", 4, "Unknown language"),
    ],
)
def test_a_malformed_file_gets_an_error_naming_the_file_and_line(
    responder: User, text: str, line: int, words: str
) -> None:
    result = import_file("bad.md", text.encode())
    assert result.error is not None
    assert (result.error.path, result.error.line) == ("bad.md", line), str(result.error)
    assert words in result.error.message
    assert str(result.error).startswith(f"bad.md:{line}: ")
    assert Postmortem.objects.count() == 0


def test_a_bad_file_imports_nothing_and_the_others_still_import(
    responder: User, tmp_path: Path
) -> None:
    (tmp_path / "a.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.md").write_bytes(b"---\ntitle: x\nkind: success\n---\n\xff\xfe")
    (tmp_path / "c.md").write_text(GOOD.replace("hand-written", "second"), encoding="utf-8")
    results = list(import_paths(sorted(tmp_path.glob("*.md"))))
    assert [result.error is None for result in results] == [True, False, True]
    assert results[1].error is not None and results[1].error.line == 5
    assert Postmortem.objects.count() == 2
    imported = Postmortem.objects.get(title="A hand-written retrospective")
    summary = imported.sections.get(key="summary").body
    assert summary == "It went well.\n\n## Some heading of our own\n\nKept as text of the summary."
    assert imported.tags == ["handmade"]


def test_headings_are_read_as_the_page_renders_them(responder: User) -> None:
    # A heading-like line in a code block of a list item, and a heading
    # inside a list item, are the section's text; a setext heading is too.
    summary = (
        "1. ```sh\n   ## What went well\n   ```\n\n- a step\n\n  ## What went well\n\n"
        "What went well\n--------------"
    )
    text = GOOD.replace("It went well.", summary).replace(
        "## What went well\n\nEverything.\n", "## Why it worked\n\nRehearsals.\n"
    )
    result = import_file("list.md", text.encode())
    assert result.error is None, result.error
    postmortem = Postmortem.objects.get()
    bodies = dict(postmortem.sections.values_list("key", "body"))
    assert bodies["summary"].startswith(summary + "\n\n## Some heading of our own")
    assert bodies["contributing_factors"] == "Rehearsals."
    assert "went_well" not in bodies

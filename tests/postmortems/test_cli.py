"""`hotwash postmortem ...` as an API client against a real `hotwash serve`,
and the local `export-postmortems` / `import-postmortems` commands, including
the round trip into a brand-new database run as real processes."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from hotwash.postmortems import services
from hotwash.postmortems.models import Postmortem
from tests.support.cli import Cli as ClientCli
from tests.support.servers import running_server, server_database

MAKE_USERS = """
import json
from hotwash.accounts.services import create_api_token, create_user
users = [("amira", "responder"), ("sam", "responder"), ("victor", "viewer")]
print(json.dumps({name: create_api_token(create_user(name, role=role)) for name, role in users}))
"""


@dataclass
class Cli:
    url: str
    tokens: dict[str, str]
    home: Path
    database: Any

    def run(self, *args: str, user: str = "amira") -> subprocess.CompletedProcess[str]:
        # The shared client's environment, in this process (tests/support/cli.py).
        return ClientCli(self.url, self.tokens, self.home).run(*args, user=user)

    def ok(self, *args: str, user: str = "amira") -> str:
        result = self.run(*args, user=user)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def json(self, *args: str, user: str = "amira") -> Any:
        return json.loads(self.ok(*args, "--json", user=user))

    def fails(self, *args: str, user: str = "amira") -> str:
        result = self.run(*args, user=user)
        assert result.returncode == 1, (result.stdout, result.stderr)
        return result.stderr

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {self.tokens['amira']}"},
        )


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    tmp = tmp_path_factory.mktemp("pmcli")
    with server_database(tmp) as database, running_server(database) as server:
        tokens = json.loads(database.run("shell", "-c", MAKE_USERS).strip().splitlines()[-1])
        home = tmp / "home"
        home.mkdir()
        yield Cli(server.url, tokens, home, database)


# --- the client commands -------------------------------------------------------------


@pytest.mark.server
@pytest.mark.database_independent  # the client; its server's database: the API tests
def test_create_show_update_list_and_export(cli: Cli, tmp_path: Path) -> None:
    created = cli.json(
        "postmortem", "create", "Zero-downtime upgrade", "--kind", "success", "--tag", "db"
    )
    ref = created["id"]
    assert created["kind"] == "success" and created["tags"] == ["db"]
    shown = cli.ok("postmortem", "show", ref)
    assert shown.startswith(f"{ref}  Zero-downtime upgrade\n")
    assert "Owner: amira" in shown
    updated = cli.ok("postmortem", "update", ref, "--owner", "sam", "--due", "2026-12-01")
    assert updated.startswith(f"Updated {ref}.\n")
    assert "Owner: sam" in updated and "Due: 2026-12-01" in updated
    listing = cli.ok("postmortem", "list", "--kind", "success")
    assert ref in listing and "Zero-downtime upgrade" in listing
    assert [item["id"] for item in cli.json("postmortem", "list", "--owner", "sam")["items"]] == [
        ref
    ]
    markdown = cli.ok("postmortem", "export", ref)
    assert markdown.startswith("---\ntitle: Zero-downtime upgrade\n")
    assert "\n## Summary\n" in markdown
    out = tmp_path / "all.zip"
    cli.ok("postmortem", "export", "--all", "-o", str(out))
    assert any(name.startswith(ref) for name in zipfile.ZipFile(out).namelist())


@pytest.mark.server
@pytest.mark.database_independent  # the client; its server's database: the API tests
def test_an_incidents_postmortem_by_incident_reference(cli: Cli) -> None:
    with cli.api() as api:
        incident = api.post("/incidents", json={"title": "Disk full", "severity": 4}).json()["id"]
    created = cli.json("postmortem", "create", "--incident", incident, "--owner", "sam")
    assert created["incident"] == incident and created["owner"] == "sam"
    shown = cli.json("postmortem", "show", incident)
    assert shown["id"] == created["id"]
    exported = cli.ok("postmortem", "export", incident)
    assert f"id: {created['id']}\nincident: {incident}\n" in exported
    assert "already has a postmortem" in cli.fails("postmortem", "create", "--incident", incident)


@pytest.mark.server
@pytest.mark.database_independent  # the client; its server's database: the API tests
def test_errors_are_one_line_and_exit_1(cli: Cli) -> None:
    assert "No postmortem PM-999" in cli.fails("postmortem", "show", "PM-999")
    assert "Only responders" in cli.fails("postmortem", "create", "x", user="victor")
    assert "Nothing to change" in cli.fails("postmortem", "update", "PM-1")


@pytest.mark.server
def test_round_trip_into_a_brand_new_database(cli: Cli, tmp_path: Path) -> None:
    """Export from the server's database, import into a freshly migrated one
    (no incidents, no people), export again: the same bytes."""
    with cli.api() as api:
        incident = api.post(
            "/incidents", json={"title": "Paiements : échec ✗", "severity": 2}
        ).json()["id"]
        api.post(
            f"/incidents/{incident}/timeline", json={"body": "Rolled back.", "key_moment": True}
        )
        api.patch(f"/incidents/{incident}", json={"status": "resolved"})
        pm = api.get(f"/incidents/{incident}/postmortem").json()
        for key, language, body in (
            ("summary", "en", "Summary with a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |"),
            ("summary", "fr", "Résumé.\n\n```\n## code\n```"),
        ):
            current = next(s for s in pm["sections"] if s["key"] == key)["languages"][language]
            response = api.put(
                f"/postmortems/{pm['id']}/sections/{key}/{language}",
                json={"body": body, "base_version": current["version"] if current else 0},
            )
            assert response.status_code == 200, response.text
        api.post("/postmortems", json={"title": "Projet ✓", "kind": "project", "language": "fr"})
    first = tmp_path / "first"
    cli.database.run("export-postmortems", str(first))
    with server_database(tmp_path / "fresh") as fresh:
        output = fresh.run("import-postmortems", str(first), "--no-progress")
        # The French version of a postmortem updates the one its original made.
        assert f"Imported {len(list(first.iterdir()))} of " in output
        second = tmp_path / "second.zip"
        fresh.run("export-postmortems", str(second))
    names = sorted(path.name for path in first.iterdir())
    assert len(names) >= 3
    archive = zipfile.ZipFile(second)
    assert sorted(archive.namelist()) == names
    for name in names:
        assert archive.read(name) == (first / name).read_bytes(), name


# --- the local commands ------------------------------------------------------------------


@pytest.mark.django_db
def test_export_postmortems_to_a_folder_and_a_zip(responder: User, tmp_path: Path) -> None:
    success = services.create_retrospective(actor=responder, title="Launch", kind="success")
    out = io.StringIO()
    call_command("export-postmortems", str(tmp_path / "out"), stdout=out)
    assert "Exported 1 file to" in out.getvalue()
    assert (tmp_path / "out" / f"{success.ref}-launch.md").exists()
    call_command("export-postmortems", str(tmp_path / "all.zip"), stdout=io.StringIO())
    assert zipfile.ZipFile(tmp_path / "all.zip").namelist() == [f"{success.ref}-launch.md"]


@pytest.mark.django_db
def test_import_postmortems_reports_failures_and_exits_non_zero(
    responder: User, tmp_path: Path
) -> None:
    good = "---\ntitle: Launch\nkind: success\n---\n\n# Launch\n\n## Summary\n\nFine.\n"
    (tmp_path / "a.md").write_text(good, encoding="utf-8")
    (tmp_path / "b.md").write_text("---\ntitle: x\nincident: INC-1\nseverity: 9\n---\n")
    (tmp_path / "notes.txt").write_text("not markdown")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 file failed"):
        call_command("import-postmortems", str(tmp_path), stdout=out, stderr=err)
    assert "Imported 1 of 2 files (new: 1, updated: 0)." in out.getvalue()
    assert f"{tmp_path / 'b.md'}:4: Unknown severity 9" in err.getvalue()
    assert "2/2" in err.getvalue()  # the progress bar
    assert Postmortem.objects.get().title == "Launch"
    # One file works too, and importing it again updates instead of duplicating.
    out = io.StringIO()
    call_command("import-postmortems", str(tmp_path / "a.md"), "--no-progress", stdout=out)
    assert "Imported 1 of 1 file (new: 0, updated: 1)." in out.getvalue()
    assert Postmortem.objects.count() == 1

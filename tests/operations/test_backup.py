"""`hotwash backup` and `hotwash restore`, run as an operator runs them: real
processes against databases of the suite's kind (SQLite files, or throwaway
PostgreSQL databases), never the suite's own in-memory database."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import subprocess
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.databases import (
    HOTWASH,
    Database,
    empty_database,
    migrated_database,
    on_postgres,
)

pytestmark = pytest.mark.processes

# A few records of our own beside the demo's: an account, a token, an alert
# source, and an incident whose postmortem has text no demo scene writes.
OWN_RECORDS = """
from hotwash.accounts.services import create_api_token, create_user
from hotwash.alerts.services import create_source
from hotwash.incidents.services import declare_incident
from hotwash.postmortems.services import draft_for_incident, save_section
olga = create_user("olga", role="responder", first_name="Olga")
create_api_token(olga, name="restore drill")
create_source(name="prometheus-eu", kind="alertmanager", actor=olga)
incident = declare_incident(actor=olga, title="Caché froid — 漢字 ✓", severity=2)
postmortem = draft_for_incident(incident, actor=olga)
save_section(postmortem, actor=olga, key="summary", language="en", base_version=0,
             body="Ünïcode, a tab\\tand\\n\\n```sql\\nSELECT 1;\\n```\\n")
"""


@dataclass(frozen=True)
class Populated:
    database: Database
    backup: Path
    rows: dict[str, int]
    export: bytes  # `hotwash export-postmortems` as a zip


def export_postmortems(database: Database) -> bytes:
    out = database.data_dir / "postmortems.zip"
    out.unlink(missing_ok=True)
    database.ok("export-postmortems", str(out))
    return out.read_bytes()


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Populated]:
    """The demo data and our own records, and one backup of them."""
    folder = tmp_path_factory.mktemp("backup")
    with migrated_database(folder, "source") as database:
        database.ok("demo")
        database.shell(OWN_RECORDS)
        backup = folder / "hotwash.backup"
        database.ok("backup", str(backup))
        yield Populated(database, backup, database.rows(), export_postmortems(database))


def test_it_round_trips_a_populated_database(populated: Populated, tmp_path: Path) -> None:
    assert populated.rows["incidents_incident"] > 10
    assert populated.rows["accounts_apitoken"] == 1
    with empty_database(tmp_path, "restored") as restored:
        output = restored.ok("restore", str(populated.backup))

        assert restored.rows() == populated.rows
        assert export_postmortems(restored) == populated.export
        with zipfile.ZipFile(io.BytesIO(populated.export)) as archive:
            [name] = [name for name in archive.namelist() if name.endswith("-cache-froid.md")]
            ours = archive.read(name).decode()
        assert "Caché froid — 漢字 ✓" in ours and "Ünïcode, a tab\tand" in ours
        total = sum(populated.rows.values())
        assert f"Tables: {len(populated.rows)}, rows: {total}." in output
        assert "no migration to apply" in output


def test_a_backup_of_an_older_schema_is_brought_up_to_date(tmp_path: Path) -> None:
    """A backup made before a migration (here: the alert sources' last one
    undone, as an older release had it) is restored, then migrated."""
    with migrated_database(tmp_path, "older") as older, empty_database(tmp_path, "new") as new:
        older.ok("migrate", "alerts", "0001_initial", "-v0")
        backup = tmp_path / "older.backup"
        older.ok("backup", str(backup))

        output = new.ok("restore", str(backup))

        assert "to bring it up to date: alerts.0002_kind_choices_from_the_registry" in output
        assert new.run("migrate", "--check").returncode == 0


def test_the_backup_reports_what_it_wrote(populated: Populated, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "again.backup"

    output = populated.database.ok("backup", str(out), "-v2")

    size = out.stat().st_size
    assert size > 0
    assert f"Wrote {out} (" in output
    assert f"Tables: {len(populated.rows)}, rows: {sum(populated.rows.values())}." in output
    assert f"  incidents_incident: {populated.rows['incidents_incident']}" in output
    # Password hashes and secrets are in it: for its owner only.
    assert out.stat().st_mode & 0o077 == 0
    assert [path.name for path in out.parent.iterdir()] == ["again.backup"]


def test_it_refuses_to_overwrite_a_file_unless_asked(populated: Populated, tmp_path: Path) -> None:
    out = tmp_path / "taken.backup"
    out.write_bytes(b"last week's backup")

    refused = populated.database.run("backup", str(out))

    assert refused.returncode == 1
    assert "already exists" in refused.stderr and "--overwrite" in refused.stderr
    assert out.read_bytes() == b"last week's backup"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["taken.backup"]

    populated.database.ok("backup", str(out), "--overwrite")
    assert out.read_bytes() != b"last week's backup"


@pytest.mark.skipif(not on_postgres(), reason="SQLite needs no outside program")
def test_without_pg_dump_it_says_what_to_install(populated: Populated, tmp_path: Path) -> None:
    out = tmp_path / "never.backup"

    refused = populated.database.run("backup", str(out), PATH=str(tmp_path))

    assert refused.returncode == 1
    assert "pg_dump is not installed or not on the PATH" in refused.stderr
    assert "apt-get install postgresql-client" in refused.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(on_postgres(), reason="the live database is a file on SQLite only")
def test_it_never_writes_over_the_live_database(populated: Populated) -> None:
    live = populated.database.data_dir / "hotwash.sqlite3"
    before = populated.database.rows()

    for target in (live, Path(f"{live}-wal"), Path(f"{live}-writer")):
        refused = populated.database.run("backup", str(target), "--overwrite")

        assert refused.returncode == 1
        assert "is the database itself" in refused.stderr
    assert populated.database.rows() == before


def test_it_refuses_to_restore_into_a_database_with_data(
    populated: Populated, tmp_path: Path
) -> None:
    with migrated_database(tmp_path, "busy") as busy:
        busy.shell(
            "from hotwash.accounts.services import create_user\n"
            "from hotwash.incidents.services import declare_incident\n"
            "declare_incident(actor=create_user('nadia', role='responder'), title='Ours')"
        )
        before, export = busy.rows(), export_postmortems(busy)

        refused = busy.run("restore", str(populated.backup))

        assert refused.returncode == 1
        assert "restore goes only into an empty database, so nothing was changed" in refused.stderr
        assert busy.rows() == before
        assert export_postmortems(busy) == export
        assert busy.query("SELECT title FROM incidents_incident") == [("Ours",)]


def test_it_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with empty_database(tmp_path, "target") as target:
        refused = target.run("restore", str(not_a_backup))

        assert refused.returncode == 1
        assert "is not a Hotwash backup" in refused.stderr
        assert target.rows() == {}


def test_it_refuses_a_backup_of_a_newer_release(populated: Populated, tmp_path: Path) -> None:
    with empty_database(tmp_path, "future") as future, empty_database(tmp_path, "now") as now:
        future.ok("restore", str(populated.backup))
        future.shell(
            "from django.db import connection\n"
            "with connection.cursor() as cursor:\n"
            '    cursor.execute("INSERT INTO django_migrations (app, name, applied) '
            "VALUES ('incidents', '9999_from_the_future', CURRENT_TIMESTAMP)\")"
        )
        newer = tmp_path / "newer.backup"
        future.ok("backup", str(newer))

        refused = now.run("restore", str(newer))

        assert refused.returncode == 1
        assert "made by a newer release" in refused.stderr
        assert "incidents.9999_from_the_future" in refused.stderr


@pytest.mark.skipif(on_postgres(), reason="pg_dump reads one snapshot by design; SQLite's copy")
def test_a_backup_taken_while_writing_is_consistent(populated: Populated, tmp_path: Path) -> None:
    """Each incident is declared in one transaction with its timeline entry
    and its audit record; a backup taken while a writer declares them one
    after another holds all three of each, or none."""
    stop = tmp_path / "stop"
    writer_code = (
        "from pathlib import Path\n"
        "from hotwash.accounts.services import create_user\n"
        "from hotwash.incidents.services import declare_incident\n"
        "writer = create_user('writer', role='responder')\n"
        "for number in range(5000):\n"
        f"    if Path({str(stop)!r}).exists(): break\n"
        "    declare_incident(actor=writer, title=f'Load {number}')\n"
    )
    with migrated_database(tmp_path, "busy") as busy:
        writer = subprocess.Popen(
            [*HOTWASH, "shell", "--no-imports", "-c", writer_code],
            env=busy.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            live = busy.data_dir / "hotwash.sqlite3"
            _wait_for_incidents(live, at_least=20)
            backups = [tmp_path / f"during-{n}.backup" for n in range(3)]
            for backup in backups:
                busy.ok("backup", str(backup))
            _wait_for_incidents(live, at_least=_incidents(backups[-1]) + 20)
        finally:
            stop.touch()
            _out, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors

        for backup in backups:
            declared = _incidents(backup)
            assert declared >= 20
            with contextlib.closing(sqlite3.connect(backup)) as copy:
                assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
                entries = copy.execute(
                    "SELECT count(*) FROM incidents_timelineevent WHERE kind = 'declared'"
                ).fetchone()[0]
                audits = copy.execute(
                    "SELECT count(*) FROM core_auditrecord WHERE action = 'incident.declared'"
                ).fetchone()[0]
            assert (entries, audits) == (declared, declared)


def _incidents(path: Path) -> int:
    uri = f"{path.as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=20)) as connection:
        return int(connection.execute("SELECT count(*) FROM incidents_incident").fetchone()[0])


def _wait_for_incidents(live: Path, *, at_least: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if live.exists() and _incidents(live) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"the writer did not reach {at_least} incidents")

"""Upgrading: a database the previous release made, with data in it, is
brought to the current schema by `hotwash migrate` and keeps its data.

The fixture, releases/previous.json.gz, was made by running the previous
release's own code (commit 11b0440, main before issue 11): its `migrate`,
its demo loader and a few of its services, then `dumpdata`, with the leaf
migration of every app as that release had them. It is JSON, so one fixture
serves SQLite and PostgreSQL; tests/support/release_fixture.py rebuilds
that release's database from it (migrating an empty database to exactly
those migrations and saving the rows through the historical models of that
state), so the test keeps testing an upgrade from that release however many
migrations later issues add. At each release, cut a new fixture from the
release before it (`python -m tests.support.release_fixture <tag>`; see
docs/operations.md, "Upgrade").
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import Database, empty_database
from tests.support.release_fixture import read_release

pytestmark = pytest.mark.processes

DEMO_PASSWORD = "hotwash-demo"

# What the upgraded database holds and does, as JSON: today's models and
# services on the release's data.
FACTS = """
import json
from django.apps import apps
from django.contrib.auth.models import User
from hotwash.accounts.models import ApiToken
from hotwash.incidents.models import Incident
from hotwash.incidents.services import declare_incident, set_status
from hotwash.postmortems.models import Postmortem
counts = {}
for label in LABELS:
    try:
        model = apps.get_model(label)
    except LookupError:
        continue
    counts[label] = model._base_manager.count()
amira = User.objects.get(username="amira")
incident = declare_incident(actor=amira, title="After the upgrade", severity=2)
incident = set_status(incident, actor=amira, status="resolved")
print(json.dumps({
    "counts": counts,
    "incidents": sorted([i.pk, i.title] for i in Incident.objects.exclude(pk=incident.pk)),
    "password": amira.check_password(PASSWORD),
    "tokens": ApiToken.objects.filter(user__username="olga").count(),
    "new": [incident.ref, incident.status, Postmortem.objects.filter(incident=incident).count()],
}))
"""


def _facts(database: Database, labels: list[str]) -> dict[str, Any]:
    code = FACTS.replace("LABELS", repr(labels)).replace("PASSWORD", repr(DEMO_PASSWORD))
    facts: dict[str, Any] = json.loads(database.shell(code))
    return facts


def test_a_database_of_the_previous_release_migrates_with_its_data(tmp_path: Path) -> None:
    release = read_release()
    objects = release["objects"]
    expected = Counter(obj["model"] for obj in objects)
    incidents = sorted(
        [obj["pk"], obj["fields"]["title"]]
        for obj in objects
        if obj["model"] == "incidents.incident"
    )
    assert len(incidents) > 10 and expected["postmortems.postmortem"] > 5
    with empty_database(tmp_path, "upgrade") as database:
        database.shell("from tests.support.release_fixture import load_release; load_release()")
        before = database.rows()

        database.ok("migrate", "--no-input")

        assert database.run("migrate", "--check").returncode == 0
        after = database.rows()
        # Every table of the release keeps its rows (the upgrade may add
        # tables, content types and permissions). A later migration that
        # moves data on purpose says so here.
        grown = {"django_migrations", "django_content_type", "auth_permission"}
        assert {t: n for t, n in after.items() if t in before and t not in grown} == {
            t: n for t, n in before.items() if t not in grown
        }
        facts = _facts(database, sorted(expected))
        # Django adds a content type and its permissions for each new model.
        added_per_model = {"contenttypes.contenttype", "auth.permission"}
        assert {
            label: count for label, count in facts["counts"].items() if label not in added_per_model
        } == {
            label: count
            for label, count in expected.items()
            if label in facts["counts"] and label not in added_per_model
        }
        for label in added_per_model:
            assert facts["counts"][label] >= expected[label]
        assert facts["incidents"] == incidents
        assert facts["password"] is True
        assert facts["tokens"] == 1
        # Today's services work on it: a new incident takes the next number,
        # and resolving it drafts its postmortem as policy asks.
        assert facts["new"] == [f"INC-{max(pk for pk, _title in incidents) + 1}", "resolved", 1]
        export = database.data_dir / "postmortems"
        assert "Exported" in database.ok("export-postmortems", str(export))
        assert len(list(export.glob("*.md"))) >= expected["postmortems.postmortem"]

"""A database as the previous release left it, for the upgrade test
(tests/operations/test_upgrade.py), made once per release and kept in
tests/operations/releases/previous.json.gz.

The fixture is backend-neutral JSON (gzipped): the release's commit, the
leaf migration of every app as that release applied them, and every row of
its database as `dumpdata` wrote it (primary keys kept). `load_release()`
rebuilds that database on any backend with the code of today: it migrates
an empty database to exactly those migrations (Django's MigrationExecutor,
so later migrations are not applied), saves the rows through the
*historical* models of that state (the models as the release had them, not
as the code has them now), and resets PostgreSQL's sequences. What the
upgrade test then runs is the operator's `hotwash migrate`.

Make it at release time, from the repository root, with the previous
release's commit or tag (its own code runs to create the data):

    .venv/bin/python -m tests.support.release_fixture 11b0440

That checks the release out in a temporary git worktree, runs its
`migrate`, its demo loader and a few services of its own in a child
process (PYTHONPATH puts the release's src/ first; the current virtual
environment must have the release's dependencies), and writes the fixture.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.apps.registry import Apps
from django.core.management.color import no_style
from django.core.serializers import base, python
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "operations" / "releases" / "previous.json.gz"

# Runs in the child process, with the release's code: its migrations, its
# demo data, and records the demo does not make. Only services every
# release has had; check them when cutting the next fixture.
GENERATE = """
import io, json, os
import django
django.setup()
import hotwash
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

release_src = os.environ["RELEASE_SRC"]
assert hotwash.__file__.startswith(release_src), f"not the release's code: {hotwash.__file__}"
call_command("migrate", interactive=False, verbosity=0)

from hotwash.accounts.services import create_api_token, create_user
from hotwash.alerts.services import create_source
from hotwash.demo.load import load_demo

load_demo()
olga = create_user("olga", role="responder", first_name="Olga")
create_api_token(olga, name="upgrade fixture")
create_source(name="prometheus-eu", kind="alertmanager", actor=olga)

graph = MigrationLoader(connection).graph
out = io.StringIO()
call_command("dumpdata", all=True, format="json", stdout=out)
document = {
    "release": os.environ["RELEASE"],
    "migrations": sorted(graph.leaf_nodes()),
    "objects": json.loads(out.getvalue()),
}
with open(os.environ["RELEASE_OUT"], "w", encoding="utf-8") as handle:
    json.dump(document, handle, sort_keys=True, ensure_ascii=False)
"""


def read_release(path: Path = FIXTURE) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return document


def load_release(path: Path = FIXTURE) -> None:
    """Rebuild the release's database, with its rows, in the empty default
    database: its schema and nothing later."""
    document = read_release(path)
    targets = [(app, name) for app, name in document["migrations"]]
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    # No post_migrate: content types and permissions come from the fixture,
    # with their primary keys, as the release made them.
    executor.migrate(targets)
    historical = executor.loader.project_state(targets, at_end=True).apps
    with transaction.atomic(), connection.constraint_checks_disabled():
        saved = [obj.object for obj in _save_all(document["objects"], historical)]
        tables = {type(instance)._meta.db_table for instance in saved}
        connection.check_constraints(table_names=sorted(tables))
        # Explicit primary keys do not move PostgreSQL's sequences on.
        models = {type(instance) for instance in saved}
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
                cursor.execute(statement)


class _HistoricalDeserializer(python.Deserializer):
    """Django's own deserializer (what `loaddata` uses), with the models of
    a migration state instead of today's."""

    def __init__(self, objects: Iterable[dict[str, Any]], models: Apps) -> None:
        super().__init__(objects)
        self._models = models

    def _get_model_from_node(self, model_identifier: str) -> Any:
        try:
            return self._models.get_model(model_identifier)
        except LookupError:
            raise base.DeserializationError(f"No model {model_identifier} in the release") from None


def _save_all(objects: list[dict[str, Any]], models: Apps) -> Iterator[base.DeserializedObject]:
    for obj in _HistoricalDeserializer(objects, models):
        obj.save()
        yield obj


def make(release: str, out: Path) -> None:
    """Run the release's code in a temporary worktree and write its fixture."""
    with tempfile.TemporaryDirectory(prefix="hotwash-release-") as folder:
        checkout = Path(folder) / "release"
        commit = _git("rev-parse", "--verify", f"{release}^{{commit}}").strip()
        _git("worktree", "add", "--detach", str(checkout), commit)
        try:
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("HOTWASH_")},
                "PYTHONPATH": str(checkout / "src"),
                "DJANGO_SETTINGS_MODULE": "hotwash.settings",
                "DATABASE_URL": f"sqlite:///{folder}/release.sqlite3",
                "HOTWASH_DATA_DIR": f"{folder}/data",
                "RELEASE": commit,
                "RELEASE_SRC": str(checkout / "src"),
                "RELEASE_OUT": f"{folder}/release.json",
            }
            result = subprocess.run(
                [sys.executable, "-c", GENERATE],
                env=env,
                cwd=folder,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise SystemExit(f"The release's code failed:\n{result.stderr}")
            document = (Path(folder) / "release.json").read_bytes()
        finally:
            _git("worktree", "remove", "--force", str(checkout))
    out.parent.mkdir(parents=True, exist_ok=True)
    # mtime 0: the same document gives the same bytes.
    out.write_bytes(gzip.compress(document, compresslevel=9, mtime=0))
    rows = len(read_release(out)["objects"])
    print(f"Wrote {out}: {rows} rows of release {commit[:10]}.")


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("release", help="The previous release's tag or commit.")
    parser.add_argument("--out", type=Path, default=FIXTURE, help=f"Default: {FIXTURE}")
    arguments = parser.parse_args()
    make(arguments.release, arguments.out)


if __name__ == "__main__":
    main()

"""`hotwash lint`: offline, for a docs repository's CI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user

# Touches no database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = pytest.mark.database_independent

DOC = """# Checkout outage

The root cause was human error.

```
2026-11-26 ERROR operator error: human error in job
```

Run `git blame` or check the `human error` counter.
Sam restarted the pods; he should have checked first.
"""


def run(*args: str, stdin: str = "", accounts: bool = False) -> tuple[int, str, str]:
    """`hotwash lint` in this process; without the accounts' names unless
    asked (these tests touch no database: a run without one is the
    subprocess below)."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(
            "lint", *args, *([] if accounts else ["--no-accounts"]), stdout=out, stderr=err
        )
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def hotwash(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed `hotwash` console script as its own process, with `env`
    added to this one's environment."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("hotwash")), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_it_prints_path_line_and_column_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "pm.md"
    path.write_text(DOC, encoding="utf-8")
    code, out, _err = run(str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{path}:3:20: human-error — ")
    assert "(suggestion: " in lines[0]
    assert lines[1].strip() == "human error"
    assert f"{path}:10:28: should-have — " in out
    # Code blocks and inline code are not prose.
    assert out.count("human-error") == 1 and "blame" not in out.split("—")[0]


def test_a_clean_file_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "clean.md"
    path.write_text("The fault-tolerant cluster held.\n", encoding="utf-8")
    assert run(str(path)) == (0, "", "")


def test_it_reads_stdin_and_knows_names(tmp_path: Path) -> None:
    code, out, _err = run("-", "--name", "Sam", stdin="Sam broke the deploy.\n")
    assert code == 1
    assert out.startswith("-:1:1: person-as-cause — ")


def test_json_output(tmp_path: Path) -> None:
    code, out, _err = run("--json", "--language", "fr", "-", stdin="Ligne.\nIl aurait dû voir.\n")
    assert code == 1
    [report] = json.loads(out)
    [finding] = report["findings"]
    assert report["path"] == "-"
    assert (finding["line"], finding["column"], finding["excerpt"]) == (2, 4, "aurait dû")
    assert "rétrospectif" in finding["message"]


def test_an_unreadable_file_exits_2(tmp_path: Path) -> None:
    clean = tmp_path / "clean.md"
    clean.write_text("All good.\n", encoding="utf-8")
    code, _out, err = run(str(tmp_path / "missing.md"), str(clean))
    assert code == 2
    assert "missing.md" in err


@pytest.mark.parametrize("database", ["postgres://nobody@127.0.0.1:1/none"])
def test_it_works_without_a_database(tmp_path: Path, database: str) -> None:
    path = tmp_path / "pm.md"
    path.write_text("Obviously.\n", encoding="utf-8")
    result = hotwash("lint", str(path), DATABASE_URL=database)
    assert result.returncode == 1, result.stderr
    assert f"{path}:1:1: obviously — " in result.stdout


# An account's username the linter cannot take for a name on its own (not
# capitalised like a first name): only the accounts tell it is one.
@pytest.mark.parametrize(
    ("language", "blameful", "neutral"),
    [
        ("en", "The deploy was broken by s.okafor.", "s.okafor paged the storage team."),
        ("fr", "Le déploiement a été cassé par s.okafor.", "s.okafor a prévenu l'équipe stockage."),
    ],
)
def test_where_the_database_is_it_knows_every_account_s_name(
    db: None, language: str, blameful: str, neutral: str
) -> None:
    create_user("s.okafor", password="correct horse 42", role=Role.RESPONDER)
    code, out, _err = run("--language", language, "-", stdin=f"{blameful}\n", accounts=True)
    assert code == 1
    assert out.startswith("-:1:") and "person-as-cause" in out
    assert run("--language", language, "-", stdin=f"{neutral}\n", accounts=True) == (0, "", "")
    # --no-accounts leaves the database alone.
    assert run("--language", language, "-", stdin=f"{blameful}\n")[0] == 0


def test_without_a_database_file_it_creates_none(tmp_path: Path) -> None:
    path = tmp_path / "pm.md"
    path.write_text("The deploy was broken by s.okafor. Obviously.\n", encoding="utf-8")
    database = tmp_path / "data" / "hotwash.sqlite3"
    result = hotwash("lint", str(path), DATABASE_URL=f"sqlite:///{database}")
    assert result.returncode == 1, result.stderr
    assert "obviously" in result.stdout and "person-as-cause" not in result.stdout
    assert not database.exists()


def test_a_mistake_in_the_organisation_s_rule_files_stops_the_start(tmp_path: Path) -> None:
    """The shipped rules compile on first use; the organisation's are
    checked as every process starts, so a wrong file stops `hotwash check`
    (and the server) rather than the first postmortem an author saves."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "language: fr\nrules:\n  - id: acme-broken\n    category: blame\n    pattern: '(unclosed'\n",
        encoding="utf-8",
    )
    result = hotwash("check", HOTWASH_BLAMELESS_RULES=str(rules), HOTWASH_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "acme-broken" in result.stderr

"""`hotwash actions` and `hotwash action ...` end to end: the commands
talking over HTTP to a real `hotwash serve` (and never to a database; see
tests/support/cli.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.cli import Cli

# The client commands as a person runs them: what they print and how they exit
# does not depend on the server's database (the API tests run on both), so
# the SQLite suite runs these and the PostgreSQL one skips them.
pytestmark = [pytest.mark.server, pytest.mark.database_independent]


def _create(cli: Cli, incident: str, title: str, **fields: Any) -> dict[str, Any]:
    with cli.api() as api:
        response = api.post("/action-items", json={"title": title, "incident": incident, **fields})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def test_create_list_and_complete(cli: Cli) -> None:
    incident = cli.declare("Checkout fails", severity=1)
    output = cli.ok(
        "action", "create", "Alert on checkout errors", "--owner", "sam", "--incident", incident
    )
    match = re.match(
        r"Created (AI-\d+) for sam, due (\d{4}-\d\d-\d\d): Alert on checkout errors\n(\S+)\n",
        output,
    )
    assert match, output
    ref = match.group(1)
    assert match.group(3).startswith(cli.url)
    mine = cli.ok("actions", "--mine", user="sam")
    assert ref in mine and "Alert on checkout errors" in mine
    assert ref not in cli.ok("actions", "--mine", user="amira")
    # The owner marks it done, though only a responder could change the rest.
    assert cli.ok("action", "done", ref, user="sam") == (
        f"{ref} is now done: Alert on checkout errors\n"
    )
    assert ref not in cli.ok("actions", "--mine", user="sam")
    assert ref in cli.ok("actions", "--mine", "--status", "done", user="sam")
    shown = cli.ok("action", "show", ref)
    assert "Status:" in shown and "Done" in shown and incident in shown


def test_overdue_and_team_filters_in_json(cli: Cli) -> None:
    incident = cli.declare("Search is slow")
    item = _create(cli, incident, "Tune the index", owner="amira")
    data = cli.json("actions", "--overdue")
    assert item["id"] not in [i["id"] for i in data["items"]]
    data = cli.json("actions", "--incident", incident)
    assert [i["id"] for i in data["items"]] == [item["id"]]
    assert data["items"][0]["overdue"] is False


def test_wontdo_needs_a_reason(cli: Cli) -> None:
    incident = cli.declare("Exports are empty")
    ref = _create(cli, incident, "Rewrite exports", owner="amira")["id"]
    error = cli.fails("action", "wontdo", ref)
    assert "--reason" in error
    assert cli.ok("action", "wontdo", ref, "--reason", "Exports are retired.").startswith(
        f"{ref} is now won't do"
    )
    assert cli.json("action", "show", ref)["reason"] == "Exports are retired."
    assert cli.ok("action", "reopen", ref).startswith(f"{ref} is now open")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("action", "create", "x", "--owner", "ghost", "--incident", "INC-1"), "ghost"),
        (("action", "create", "x", "--incident", "INC-1"), "owner"),
        (
            (
                "action",
                "create",
                "x",
                "--owner",
                "sam",
                "--incident",
                "INC-1",
                "--due",
                "2001-01-01",
            ),
            "past",
        ),
        (("action", "done", "AI-99999"), "No action item AI-99999"),
    ],
)
def test_errors_are_one_clear_line(cli: Cli, args: tuple[str, ...], message: str) -> None:
    cli.declare("Something")  # INC-1 exists whatever the order of the tests
    error = cli.fails(*args)
    assert message in error
    assert "Traceback" not in error


def test_viewers_cannot_create_but_can_list(cli: Cli) -> None:
    incident = cli.declare("Viewer test")
    error = cli.fails(
        "action", "create", "x", "--owner", "victor", "--incident", incident, user="victor"
    )
    assert "responder" in error
    assert cli.ok("actions", user="victor")


def test_messages_follow_the_configured_language(cli: Cli) -> None:
    incident = cli.declare("French test")
    item = _create(cli, incident, "Traduire", owner="amira", due="2099-01-01")
    output = cli.ok("actions", "--incident", incident, HOTWASH_LANGUAGE="fr")
    assert "Échéance" in output and item["id"] in output
    error = cli.fails("action", "done", "AI-99999", HOTWASH_LANGUAGE="fr")
    assert "Aucune action AI-99999" in error

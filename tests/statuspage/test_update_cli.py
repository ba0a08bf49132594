"""`hotwash update` end to end: the client command over HTTP to a real
`hotwash serve` (one server for the module; see tests/support/cli.py)."""

from __future__ import annotations

import re

import pytest

from tests.support.cli import Cli

# The client commands as a person runs them: what they print and how they exit
# does not depend on the server's database (the API tests run on both), so
# the SQLite suite runs these and the PostgreSQL one skips them.
pytestmark = [pytest.mark.server, pytest.mark.database_independent]


def test_an_internal_update_by_default(cli: Cli) -> None:
    ref = cli.declare("Checkout is slow")
    output = cli.ok("update", ref, "--status", "investigating", "--en", "Looking into it.")
    assert re.fullmatch(
        rf"Published an internal update on {ref} \(Investigating\) at "
        r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T\.\n",
        output,
    ), output
    with cli.api() as api:
        items = api.get(f"/incidents/{ref}/updates").json()["items"]
    assert [(i["audience"], i["text"]["en"]) for i in items] == [("internal", "Looking into it.")]


def test_a_public_update_in_both_languages(cli: Cli) -> None:
    ref = cli.declare("Search is down")
    data = cli.json(
        "update",
        ref.removeprefix("INC-"),
        "--public",
        "--status",
        "identified",
        "--en",
        "Cause found.",
        "--fr",
        "Cause trouvée.",
    )
    assert (data["audience"], data["status"]) == ("public", "identified")
    assert data["text"] == {"en": "Cause found.", "fr": "Cause trouvée."}


def test_a_missing_language_exits_1_naming_it(cli: Cli) -> None:
    ref = cli.declare("Mail is late")
    error = cli.fails("update", ref, "--public", "--status", "identified", "--en", "Cause found.")
    assert "French text is missing" in error


def test_a_viewer_is_refused(cli: Cli) -> None:
    ref = cli.declare("Exports fail")
    error = cli.fails("update", ref, "--status", "identified", "--en", "x", user="victor")
    assert error.strip()
    with cli.api() as api:
        assert api.get(f"/incidents/{ref}/updates").json()["count"] == 0


def test_findings_are_printed(cli: Cli) -> None:
    ref = cli.declare("Certificates expired")
    output = cli.ok(
        "update", ref, "--status", "identified", "--en", "The outage was caused by human error."
    )
    assert "The blameless-language check flagged this wording" in output
    assert '(EN) "human error"' in output

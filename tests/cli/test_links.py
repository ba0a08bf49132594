"""`hotwash link` and `hotwash merge` against a real server, and `hotwash
list` leaving merged duplicates out, or filtering by how incidents were
detected."""

from __future__ import annotations

import pytest

from tests.support.cli import Cli

pytestmark = [pytest.mark.server, pytest.mark.database_independent(suite="postgres")]


def test_link_two_incidents(cli: Cli) -> None:
    cause = cli.declare("Certificate expired on the payment gateway")
    effect = cli.declare("Card payments failing")
    output = cli.ok("link", effect, cause, "--kind", "caused_by")
    assert output.strip() == (
        f"{effect}: Caused by {cause} (Certificate expired on the payment gateway)"
    )
    with cli.api() as api:
        [link] = api.get(f"/incidents/{cause}/links").json()
    assert link["text"] == f"Caused {effect}"
    # One link per pair: the second is refused, and says why.
    assert "already linked" in cli.fails("link", cause, effect)
    assert "kind" in cli.run("link", effect, cause, "--kind", "blamed").stderr


def test_merge_a_duplicate_and_list_without_it(cli: Cli) -> None:
    survivor = cli.declare("Checkout errors", detection_source="alert")
    duplicate = cli.declare("Checkout failing for everyone", detection_source="alert")
    output = cli.ok("merge", duplicate, "--into", survivor)
    assert output.strip() == f"{duplicate} is merged into {survivor}: Checkout errors."
    shown = cli.ok("list", "--q", "Checkout", "--merged", "no")
    assert survivor in shown and duplicate not in shown
    assert duplicate in cli.ok("list", "--q", "Checkout", "--merged", "yes")
    assert duplicate in cli.ok("list", "--q", "Checkout", "--detection", "alert")
    # Merged once is merged for good; an incident never merges into itself.
    assert cli.fails("merge", duplicate, "--into", survivor)
    assert "itself" in cli.fails("merge", survivor, "--into", survivor)


def test_a_viewer_cannot_merge(cli: Cli) -> None:
    first, second = cli.declare("Search slow"), cli.declare("Search timeouts")
    assert cli.fails("merge", second, "--into", first, user="victor")
    assert second in cli.ok("list", "--q", "Search", "--merged", "no", user="victor")

"""`hotwash search "text"` end to end: the client command talking over HTTP
to a real `hotwash serve` (and never to a database; see tests/support/cli.py)."""

from __future__ import annotations

import pytest

from tests.support.cli import Cli

pytestmark = [pytest.mark.server]


def test_it_prints_ranked_results_with_references(cli: Cli) -> None:
    title = cli.declare("Paiements en échec")
    mention = cli.declare("Boutique lente", summary="Quelques paiements & remboursements lents.")

    output = cli.ok("search", "paiement")

    lines = output.splitlines()
    assert lines[0] == f"{title}  Paiements en échec"
    assert lines[1] == f"    {cli.url}/en/incidents/{title}/"
    assert lines[2] == f"{mention}  Boutique lente"
    assert lines[3] == "    Quelques paiements & remboursements lents."
    assert lines[4] == f"    {cli.url}/en/incidents/{mention}/"
    assert lines[-1] == "2 of 2 results."


def test_filters_limit_and_json(cli: Cli) -> None:
    cli.declare("Quasar latency one")
    cli.declare("Quasar latency two")

    answer = cli.json("search", "quasar", "--limit", "1", "--kind", "incident")
    assert len(answer["items"]) == 1 and answer["count"] == 2
    assert cli.ok("search", "quasar", "--kind", "postmortem") == "Nothing you may see matches.\n"


def test_a_bad_filter_is_refused(cli: Cli) -> None:
    assert "tomorrow is not a date" in cli.fails("search", "quasar", "--since", "tomorrow")


def test_a_private_incident_is_not_found_by_others(cli: Cli) -> None:
    cli.declare("Salaires exportés", private=True)

    assert "Salaires" in cli.ok("search", "salaire")
    assert cli.ok("search", "salaire", user="sam") == "Nothing you may see matches.\n"

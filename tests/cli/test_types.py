"""`hotwash declare --type ... --field key=value` and `hotwash show` with
incident types, against a real `hotwash serve` (tests/support/cli.py)."""

from __future__ import annotations

import re

import pytest

from tests.support.cli import Cli

pytestmark = [pytest.mark.server, pytest.mark.database_independent(suite="postgres")]


def test_declare_a_privacy_breach_with_its_fields(cli: Cli) -> None:
    data = cli.json(
        "declare",
        "Export sent to the wrong customer",
        "--type",
        "privacy-breach",
        "--field",
        "people_affected=120",
        "--field",
        "personal_information=Names and e-mail addresses",
        "--field",
        "privacy_office_notified=no",
    )
    assert (data["type"], data["severity"], data["private"]) == ("privacy-breach", 2, True)
    assert data["fields"] == {
        "personal_information": "Names and e-mail addresses",
        "people_affected": 120,
        "privacy_office_notified": False,
    }


def test_show_prints_the_type_and_its_fields(cli: Cli) -> None:
    ref = cli.declare(
        "Lost laptop",
        type="privacy-breach",
        fields={
            "people_affected": 1200,
            "personal_information": "Payroll",
            "notification_deadline": "2026-12-10",
        },
    )
    output = cli.ok("show", ref)
    assert re.search(r"Type +Privacy breach\n", output)
    assert re.search(r"People affected +1,200\n", output)
    assert re.search(r"Personal information involved +Payroll\n", output)
    assert re.search(r"Notification deadline +Dec. 10, 2026\n", output)
    assert "Privacy office notified" not in output  # no value: not shown


def test_missing_required_fields_are_named(cli: Cli) -> None:
    error = cli.fails(
        "declare", "Breach", "--type", "privacy-breach", "--field", "people_affected=x"
    )
    assert "people_affected" in error or "People affected" in error
    assert "Personal information involved is required" in error


def test_a_private_type_can_be_declared_public(cli: Cli) -> None:
    data = cli.json("declare", "Port scan", "--type", "security", "--public")
    assert (data["type"], data["private"]) == ("security", False)


def test_a_field_without_a_value_is_refused_before_sending(cli: Cli) -> None:
    result = cli.run("declare", "x", "--field", "people_affected")
    assert result.returncode == 2
    assert "key=value" in result.stderr


def test_list_filters_by_type_and_field(cli: Cli) -> None:
    ref = cli.declare(
        "Wrong export",
        type="privacy-breach",
        fields={"people_affected": 77, "personal_information": "Names"},
    )
    other = cli.declare("Almost went wrong", type="near-miss")
    output = cli.ok("list", "--type", "privacy-breach", "--field", "people_affected:77")
    assert ref in output and other not in output
    assert other in cli.ok("list", "--type", "near-miss")
    assert "people_affected" in cli.fails("list", "--field", "people_affected")

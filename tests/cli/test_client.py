"""The client commands end to end: `hotwash declare|note|status|...` talking
over HTTP to a real `hotwash serve`.

The commands run in the test's process (tests/support/cli.py), where any
query fails the test, and as their own processes where that matters, with
a DATABASE_URL that cannot be reached: either way, they never touch a
database. One server serves the whole module.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.servers import free_port

# The client commands as a person runs them: what they print and how they exit
# does not depend on the server's database (the API tests run on both), so
# they run once: in the PostgreSQL suite, which has fewer such tests.
pytestmark = [pytest.mark.server, pytest.mark.database_independent(suite="postgres")]


# --- declare ------------------------------------------------------------------


def test_declare_prints_the_reference_and_the_page(cli: Cli) -> None:
    output = cli.ok(
        "declare", "Checkout fails for all users", "--severity", "2", "--service", "checkout"
    )
    match = re.fullmatch(
        r"Declared (INC-\d+) \(SEV2, investigating\): Checkout fails for all users\n(\S+)\n",
        output,
    )
    assert match, output
    assert match.group(2).startswith(cli.url)
    assert match.group(2).rstrip("/").endswith(match.group(1))


def test_declare_json_is_the_api_answer(cli: Cli) -> None:
    data = cli.json(
        "declare",
        "Suspicious logins",
        "--severity",
        "SEV1",
        "--service",
        "admin",
        "--service",
        "accounts",
        "--private",
        "--summary",
        "Six logins from one range.",
    )
    assert re.fullmatch(r"INC-\d+", data["id"])
    assert (data["severity"], data["status"], data["private"]) == (1, "investigating", True)
    assert sorted(data["services"]) == ["accounts", "admin"]
    assert data["summary"] == "Six logins from one range."
    assert data["created_by"] == "amira"


def test_declare_needs_only_a_title(cli: Cli) -> None:
    data = cli.json("declare", "Exports are empty")
    assert (data["severity"], data["private"], data["services"]) == (3, False, [])
    assert data["detection_source"] == ""  # not told, so not recorded


def test_declare_says_how_it_was_detected(cli: Cli) -> None:
    data = cli.json("declare", "Exports are empty", "--detection", "monitoring-gap")
    assert data["detection_source"] == "monitoring-gap"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("   ",), "Give the incident a title."),
        (("Title", "--severity", "5"), "Unknown severity 5"),
        (("x" * 201,), "the limit is 200"),
    ],
)
def test_declare_refusals_show_the_api_message(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    assert message in cli.fails("declare", *args)


def test_a_viewer_cannot_declare(cli: Cli) -> None:
    assert "can read incidents but not change them" in cli.fails(
        "declare", "Not allowed", user="victor"
    )


# --- note, status, severity, role -------------------------------------------------


def test_note_adds_notes_decisions_and_key_moments(cli: Cli) -> None:
    ref = cli.declare("Search is slow")
    number = ref.removeprefix("INC-")
    assert re.fullmatch(
        rf"Added a note to {ref} at \d{{4}}-\d\d-\d\d \d\d:\d\d CES?T\.\n",
        cli.ok("note", ref, "Restarting the pods"),
    )
    output = cli.ok("note", number, "Roll back 4.2", "--decision", "--key")
    assert output.startswith(f"Added a decision to {ref} at ")
    assert "It is marked as a key moment." in output
    entry = cli.json("note", ref, "Alert fired", "--at", "2026-01-15T03:12:00Z")
    assert entry["kind"] == "note"
    assert entry["body"] == "Alert fired"
    assert entry["author"] == "amira"
    assert entry["occurred_at"].startswith("2026-01-15T04:12:00")  # amira's zone: Paris


def test_note_shows_times_in_the_zone_asked_for(cli: Cli) -> None:
    ref = cli.declare("Zone test")
    output = cli.ok(
        "note", ref, "Back-dated", "--at", "2026-01-15T03:12:00Z", HOTWASH_TIMEZONE="Asia/Tokyo"
    )
    assert output == f"Added a note to {ref} at 2026-01-15 12:12 JST.\n"


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("yesterday", "--at yesterday is not a time"),
        ("2026-01-15T03:12:00", "Give --at with its time zone"),
        ("2999-01-01T00:00:00Z", "in the future"),
    ],
)
def test_note_refuses_bad_times(cli: Cli, at: str, message: str) -> None:
    ref = cli.declare("Bad times")
    assert message in cli.fails("note", ref, "text", "--at", at)


def test_status_severity_and_role_change_the_incident(cli: Cli) -> None:
    ref = cli.declare("Payments time out")
    assert cli.ok("status", ref, "monitoring") == f"{ref} is now monitoring.\n"
    assert cli.ok("severity", ref, "1") == f"{ref} is now SEV1 (Critical).\n"
    # The people have no full names here: the API's user_name is the username.
    assert cli.ok("role", ref, "commander", "sam") == f"sam is now incident commander of {ref}.\n"
    assert cli.ok("role", ref, "commander", "amira") == (
        f"amira is now incident commander of {ref}.\n"
    )
    assert cli.ok("role", ref, "scribe", "sam") == f"sam is now scribe of {ref}.\n"
    assert cli.ok("role", ref, "scribe", "--vacate") == f"{ref} has no scribe now.\n"
    incident = cli.json("status", ref, "resolved")
    assert (incident["status"], incident["severity"]) == ("resolved", 1)
    assert incident["roles"]["commander"] == "amira"
    assert incident["roles"]["scribe"] is None
    assert incident["resolved_at"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("status", "{ref}", "sleeping"), "Unknown status sleeping"),
        (("severity", "{ref}", "0"), "Unknown severity 0"),
        (("role", "{ref}", "boss", "sam"), "Unknown role boss"),
        (("role", "{ref}", "commander", "nobody"), "There is no active user named nobody."),
    ],
)
def test_changes_refused_by_the_api_exit_1_with_its_message(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    ref = cli.declare("Refusals")
    assert message in cli.fails(*(arg.format(ref=ref) for arg in args))


# --- list -------------------------------------------------------------------------


def test_list_prints_an_aligned_table_newest_first(cli: Cli) -> None:
    first = cli.declare("Listing: cart badge shows zero", severity=4)
    second = cli.declare("Listing: images missing", severity=2)
    lines = cli.ok("list", "--q", "Listing:").splitlines()
    assert lines[0].split() == ["Incident", "Severity", "Status", "Age", "Title"]
    assert [line.split()[0] for line in lines[1:]] == [second, first]
    title_column = lines[0].index("Title")
    assert lines[1][title_column:] == "Listing: images missing"
    assert lines[2][title_column:] == "Listing: cart badge shows zero"
    assert lines[1].split()[1:3] == ["SEV2", "Investigating"]


def test_list_filters_and_limits(cli: Cli) -> None:
    cli.declare("Filtered: exports", services=["exports"], status="closed")
    cli.declare("Filtered: search", services=["search"])
    assert "Filtered: exports" in cli.ok("list", "--q", "Filtered", "--status", "closed")
    assert "Filtered: exports" not in cli.ok("list", "--q", "Filtered", "--status", "open")
    assert "Filtered: search" not in cli.ok("list", "--service", "exports")
    limited = cli.ok("list", "--limit", "1").splitlines()
    assert len(limited) == 3
    assert re.fullmatch(r"Showing 1 of \d+ incidents; use --limit for more\.", limited[-1])
    assert cli.ok("list", "--q", "nothing matches this") == "No incidents match.\n"


def test_list_json_keeps_the_api_page(cli: Cli) -> None:
    cli.declare("Json list one")
    cli.declare("Json list two")
    page = cli.json("list", "--q", "Json list", "--limit", "1")
    assert set(page) >= {"items", "count", "page", "per_page", "next", "previous"}
    assert page["count"] == 2
    assert [item["title"] for item in page["items"]] == ["Json list two"]


def test_list_filter_errors_come_from_the_api(cli: Cli) -> None:
    assert "Unknown status asleep" in cli.fails("list", "--status", "asleep")


# --- catch-up and show --------------------------------------------------------------


@pytest.fixture(scope="module")
def running_incident(cli: Cli) -> str:
    """An incident in full swing: roles, notes, a key moment, an open task."""
    ref = cli.declare(
        "Checkout down in eu-west",
        severity=2,
        services=["checkout", "db"],
        impact="Checkout fails for all users.",
    )
    with cli.api() as api:
        api.post(f"/incidents/{ref}/tasks", json={"title": "Check replica lag", "assignee": "sam"})
        api.put(f"/incidents/{ref}/roles/commander", json={"user": "amira"})
        api.put(f"/incidents/{ref}/roles/operations", json={"user": "sam"})
        api.post(f"/incidents/{ref}/timeline", json={"body": "Restarting the pods"})
        api.post(f"/incidents/{ref}/timeline", json={"body": "Rolled back 4.2", "key_moment": True})
        for number in range(1, 7):
            api.post(f"/incidents/{ref}/timeline", json={"body": f"Update number {number}"})
    return ref


def test_catchup_briefs_someone_joining_now(cli: Cli, running_incident: str) -> None:
    output = cli.ok("catchup", running_incident, user="sam")
    lines = output.splitlines()
    assert lines[0] == f"{running_incident}  Checkout down in eu-west"
    assert re.fullmatch(r"SEV2 \(Major\), investigating for \d+ (s|min)", lines[1])
    assert re.fullmatch(r"Impact began .+ ago, at \d{4}-\d\d-\d\d \d\d:\d\d UTC\.", lines[2])
    assert lines[3] == "Impact: Checkout fails for all users."
    assert re.search(r"Incident commander +amira", output)
    assert re.search(r"Scribe +\(vacant\)", output)
    assert re.search(r"Operations lead +sam", output)
    key_moments = output.split("Key moments")[1].split("Latest updates")[0]
    assert "Rolled back 4.2" in key_moments
    assert "Restarting the pods" not in key_moments
    latest = output.split("Latest updates")[1].split("Open tasks")[0].strip().splitlines()
    assert len(latest) == 5
    assert latest[-1].endswith("amira: Update number 6")
    assert re.match(r"\d\d:\d\d UTC  amira: Update number 2", latest[0].strip())
    assert output.split("Open tasks")[1].strip() == "- Check replica lag (sam)"


def test_catchup_json_is_the_api_answer(cli: Cli, running_incident: str) -> None:
    data = cli.json("catchup", running_incident)
    assert data["id"] == running_incident
    assert data["roles"]["commander"] == "amira"
    assert [entry["body"] for entry in data["key_moments"] if entry["body"]] == ["Rolled back 4.2"]
    assert len(data["latest"]) == 5
    assert data["open_tasks"][0]["title"] == "Check replica lag"
    assert {"status", "severity", "severity_name", "impact", "impact_started_at"} <= set(data)


def test_show_prints_the_incident_and_its_latest_entries(cli: Cli, running_incident: str) -> None:
    output = cli.ok("show", running_incident, "--entries", "3", user="sam")
    assert output.startswith(f"{running_incident}  Checkout down in eu-west\n")
    assert re.search(r"Services affected +checkout, db", output)
    timeline = output.split("Timeline (latest entries)")[1].strip().splitlines()
    assert [line.split(": ", 1)[1] for line in timeline[:3]] == [
        "Update number 4",
        "Update number 5",
        "Update number 6",
    ]
    assert timeline[-1].startswith(cli.url)


def test_show_json_holds_incident_and_entries(cli: Cli, running_incident: str) -> None:
    data = cli.json("show", running_incident, "--entries", "2")
    assert data["incident"]["id"] == running_incident
    assert [entry["body"] for entry in data["timeline"]] == ["Update number 5", "Update number 6"]


# --- privacy and errors ----------------------------------------------------------------


def test_a_private_incident_stays_hidden_from_others(cli: Cli) -> None:
    ref = cli.declare("Private: personnel matter", private=True)
    assert f"No incident {ref}." in cli.fails("catchup", ref, user="victor")
    assert f"No incident {ref}." in cli.fails("note", ref, "peek", user="sam")
    assert "Private: personnel" not in cli.ok("list", user="victor")
    assert "[private] Private: personnel matter" in cli.ok("list", "--q", "Private:")


def test_an_unknown_incident_exits_1(cli: Cli) -> None:
    assert cli.fails("catchup", "INC-999999") == "CommandError: No incident INC-999999.\n"
    assert "not an incident reference" in cli.fails("show", "banana")


def test_a_bad_token_exits_1_with_the_api_message(cli: Cli) -> None:
    message = cli.fails("list", HOTWASH_TOKEN="hw_not-a-real-token")
    assert "This API token is not valid" in message
    assert "hotwash createtoken" in message


def test_as_its_own_process_a_command_talks_http_prints_and_exits_with_its_status(
    cli: Cli,
) -> None:
    declared = cli.process("declare", "Search is slow", "--severity", "3", "--json")
    assert declared.returncode == 0, declared.stderr
    assert declared.stderr == ""
    assert json.loads(declared.stdout)["title"] == "Search is slow"
    refused = cli.process("catchup", "INC-999999")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == "CommandError: No incident INC-999999.\n"


def test_an_unreachable_server_exits_1_with_a_clear_message(cli: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    message = cli.fails("catchup", "INC-1", "--json", HOTWASH_URL=url)
    assert f"Cannot reach the Hotwash server at {url}" in message
    assert "Is it running" in message


def test_it_explains_how_to_configure_it(cli: Cli) -> None:
    message = cli.fails("list", HOTWASH_URL="", HOTWASH_TOKEN="")
    assert "Hotwash is not configured" in message
    assert "HOTWASH_URL" in message
    assert str(cli.home / ".config" / "hotwash" / "config.toml") in message


def test_it_reads_the_config_file(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "hotwash.toml"
    config.write_text(f'url = "{cli.url}/"\ntoken = "{cli.tokens["sam"]}"\ntimezone = "UTC"\n')
    data = cli.json(
        "declare",
        "From the config file",
        HOTWASH_URL="",
        HOTWASH_TOKEN="",
        HOTWASH_CONFIG=str(config),
    )
    assert data["created_by"] == "sam"


def test_the_environment_wins_over_the_config_file(cli: Cli) -> None:
    config = cli.home / ".config" / "hotwash" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'url = "{cli.url}"\ntoken = "hw_stale-token"\n')
    try:
        assert cli.json("declare", "Env wins", user="sam", HOTWASH_URL="")["created_by"] == "sam"
        assert "not valid" in cli.fails("list", HOTWASH_URL="", HOTWASH_TOKEN="")
    finally:
        config.unlink()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("url = ", "is not valid TOML"),
        (None, "does not exist"),
    ],
)
def test_a_bad_config_file_is_named(
    cli: Cli, tmp_path: Path, content: str | None, message: str
) -> None:
    config = tmp_path / "config.toml"
    if content is not None:
        config.write_text(content)
    output = cli.fails("list", HOTWASH_URL="", HOTWASH_TOKEN="", HOTWASH_CONFIG=str(config))
    assert str(config) in output
    assert message in output

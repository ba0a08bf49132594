"""`hotwash import-services FILE`: the catalog from YAML, validated first,
all or nothing, idempotent, with a dry run."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Service
from hotwash.teams.models import Team

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).parents[2] / "docs" / "communications" / "catalog.example.yaml"

CATALOG = """\
teams:
  - slug: platform
    name: Platform
    email: platform@example.org
    pagerduty_routing_key_env: HOTWASH_SECRET_PAGERDUTY_PLATFORM
    chat_channel: "#platform"
    members: [amira]
services:
  - name: payments API
    description: Takes card payments.
    owners: [platform]
    escalation_contact: Platform on-call
    runbooks:
      - {title: Payments runbook, url: "https://wiki.example.org/payments"}
    chat_channel: "#payments"
    public: true
    public_name: Payments
  - name: search
"""


def catalog_records() -> list[str]:
    return list(
        AuditRecord.objects.filter(object_type__in=["incidents.service", "teams.team"]).values_list(
            "action", flat=True
        )
    )


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import-services", str(path), *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_it_imports_teams_and_services(tmp_path: Path, responder: User) -> None:
    output = run(write(tmp_path, CATALOG))
    assert "team platform: new" in output
    assert "service payments API: new" in output
    assert "Imported: 3 created, 0 changed, 0 unchanged." in output
    team = Team.objects.get(slug="platform")
    assert (team.email, team.pagerduty_routing_key_env) == (
        "platform@example.org",
        "HOTWASH_SECRET_PAGERDUTY_PLATFORM",
    )
    assert list(team.members.all()) == [responder]
    payments = Service.objects.get(name="payments API")
    assert list(payments.teams.all()) == [team]
    assert payments.runbooks == [
        {"title": "Payments runbook", "url": "https://wiki.example.org/payments"}
    ]
    assert (payments.public, payments.public_name) == (True, "Payments")
    assert Service.objects.filter(name="search").exists()


def test_running_it_twice_changes_nothing_the_second_time(tmp_path: Path, responder: User) -> None:
    path = write(tmp_path, CATALOG)
    run(path)
    records = AuditRecord.objects.count()
    output = run(path)
    assert "Imported: 0 created, 0 changed, 3 unchanged." in output
    assert AuditRecord.objects.count() == records


def test_it_changes_only_what_the_file_gives(tmp_path: Path, responder: User) -> None:
    run(write(tmp_path, CATALOG))
    output = run(
        write(
            tmp_path,
            "services:\n  - name: payments API\n    escalation_contact: Ada\n",
        )
    )
    assert "service payments API: changed (escalation_contact)" in output
    payments = Service.objects.get(name="payments API")
    assert payments.escalation_contact == "Ada"
    assert payments.description == "Takes card payments."
    assert payments.teams.count() == 1


def test_a_dry_run_says_what_would_change_and_changes_nothing(
    tmp_path: Path, responder: User
) -> None:
    output = run(write(tmp_path, CATALOG), "--dry-run")
    assert "service payments API: new" in output
    assert "Dry run, nothing changed: 3 would be created" in output
    assert not Team.objects.exists()
    assert not Service.objects.exists()
    assert not catalog_records()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (CATALOG.replace("owners: [platform]", "owners: [platform, ghosts]"), "ghosts"),
        (
            CATALOG.replace("https://wiki", "javascript://wiki"),
            "services[0] (payments API).runbooks",
        ),
        (CATALOG.replace("members: [amira]", "members: [nobody]"), "teams[0] (platform).members"),
        (CATALOG.replace("public: true", "public: sometimes"), "services.0.public"),
        (CATALOG + "    colour: blue\n", "services.1.colour"),
        (CATALOG + "  - name: search\n", "search"),
        ("services: {name: shop}\n", "services"),
        ("services:\n  - name: shop\n    name: shop\n", "twice"),
        ("services: [\n", "not valid YAML"),
        ("- shop\n", "mapping"),
    ],
)
def test_a_mistake_anywhere_imports_nothing(
    tmp_path: Path, responder: User, text: str, words: str
) -> None:
    with pytest.raises(CommandError) as caught:
        run(write(tmp_path, text))
    assert "Nothing was imported" in str(caught.value)
    assert words in str(caught.value)
    assert not Team.objects.exists()
    assert not Service.objects.exists()
    assert not catalog_records()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"nowhere\.yaml"):
        run(tmp_path / "nowhere.yaml")


def test_the_documented_example_imports(db: None) -> None:
    output = run(EXAMPLE)
    assert "Imported: 5 created" in output
    assert set(Service.objects.filter(public=True).values_list("name", flat=True)) == {
        "shop",
        "payments API",
    }
    assert "Imported: 0 created, 0 changed, 5 unchanged." in run(EXAMPLE)

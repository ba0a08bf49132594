"""End to end against a real `hotwash serve`: `hotwash event` as an API
client, heartbeats and Alertmanager webhooks over HTTP (concurrently: one
incident), `hotwash triggers check|validate|show` on the server, and a
wrong policy file stopping Hotwash at start-up."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.utils import translation

from hotwash.triggers.management.commands.triggers import check_summary
from hotwash.triggers.services import CheckReport
from tests.integrations.alertmanager.payloads import am_alert, am_payload
from tests.support.cli import Cli
from tests.support.servers import ServerDatabase, running_server, server_database

pytestmark = pytest.mark.server

POLICY = """
heartbeats:
  - name: nightly-backup
    period: 1s
    grace: 0s
    service: backups
"""

SETUP = """
import json
from hotwash.accounts.services import create_api_token, create_user
from hotwash.alerts.services import create_source
users = {name: create_api_token(create_user(name, role=role), name="t")
         for name, role in [("amira", "responder"), ("victor", "viewer")]}
users["source"] = create_source(name="prometheus", kind="alertmanager")[1]
print(json.dumps(users))
"""


@dataclass
class Env:
    url: str
    tokens: dict[str, str]
    home: Path
    database: ServerDatabase

    def cli(self, *args: str, user: str = "amira") -> subprocess.CompletedProcess[str]:
        # The shared client's environment, in this process (tests/support/cli.py).
        return Cli(self.url, self.tokens, self.home).run(*args, user=user)

    def api(self, user: str = "amira") -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {self.tokens[user]}"},
            timeout=30,
        )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("triggers")
    policy = tmp / "triggers.yaml"
    policy.write_text(POLICY)
    with server_database(tmp) as database:
        database.env["HOTWASH_TRIGGER_POLICY_FILE"] = str(policy)
        with running_server(database) as server:
            tokens = json.loads(database.run("shell", "-c", SETUP).strip().splitlines()[-1])
            home = tmp / "home"
            home.mkdir()
            yield Env(server.url, tokens, home, database)


def test_event_rollback_proposes_an_incident(env: Env) -> None:
    result = env.cli(
        "event", "rollback", "--service", "shop", "--version", "4.1.0", "--description", "4.2 broke"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Recorded the rollback of shop (change ")
    assert lines[1] == "A trigger policy proposes an incident for it; accept or dismiss it here:"
    assert lines[2] == f"{env.url}/en/triggers/proposals/"

    with env.api() as api:
        proposals = api.get("/proposals").json()
        mine = [p for p in proposals if p["title"] == "Rollback of shop"]
        assert len(mine) == 1
        accepted = api.post(f"/proposals/{mine[0]['id']}/accept").json()
    assert accepted["incident"].startswith("INC-")

    # The next rollback of shop is part of that incident, not a new one.
    result = env.cli("event", "reroute", "--service", "shop")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == f"It is part of {accepted['incident']}, already open:"


def test_event_json_and_errors(env: Env) -> None:
    result = env.cli("event", "deploy", "--service", "search", "--version", "7.3", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["kind"], body["service"], body["version"], body["firings"]) == (
        "deploy",
        "search",
        "7.3",
        [],
    )
    bad = env.cli("event", "rollback", "--service", "shop", "--at", "2026-11-26T03:12:00")
    assert bad.returncode == 1
    assert "--at needs a time zone" in bad.stderr
    refused = env.cli("event", "rollback", "--service", "shop", user="victor")
    assert refused.returncode == 1
    assert "can read incidents but not change them" in refused.stderr
    missing = env.cli("event", "rollback")
    assert missing.returncode != 0
    assert "--service" in missing.stderr


def test_heartbeats_over_http_and_triggers_check(env: Env) -> None:
    with env.api() as api:
        response = api.post("/heartbeats/nightly-backup")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "up"
        assert api.post("/heartbeats/unknown").status_code == 404
    # One second of period and no grace: silent by the time `check` runs.
    time.sleep(1.2)
    output = env.database.run("triggers", "check")
    assert "silent heartbeats: nightly-backup" in output
    assert "silent heartbeats: none" in env.database.run("triggers", "check")
    with env.api() as api:
        incidents = api.get("/incidents", params={"q": "Monitoring failure"}).json()["items"]
        assert [i["title"] for i in incidents] == ["Monitoring failure: nightly-backup silent"]
        assert api.post("/heartbeats/nightly-backup").json()["status"] == "up"


def test_concurrent_webhooks_for_one_group_open_one_incident(env: Env) -> None:
    def post(n: int) -> int:
        body = am_payload(
            am_alert("CartDown", service="cart", instance=f"pod-{n}"),
            group_key='{}:{alertname="CartDown"}',
        )
        response = httpx.post(
            f"{env.url}/api/v1/alerts/alertmanager",
            content=body,
            headers={
                "Authorization": f"Bearer {env.tokens['source']}",
                "Content-Type": "application/json",
            },
            timeout=30,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, range(16)))
    assert set(statuses) == {200}, statuses
    with env.api() as api:
        found = api.get("/incidents", params={"service": "cart"}).json()["items"]
        assert len(found) == 1
        firings = api.get(f"/incidents/{found[0]['id']}/firings").json()
    assert [f["policy"] for f in firings] == ["downtime-critical"]


def test_triggers_validate_and_show(env: Env, tmp_path: Path) -> None:
    shown = env.database.run("triggers", "show")
    assert "downtime-critical: downtime, declare after 0s" in shown
    assert "heartbeat nightly-backup: every 1s + 0s grace" in shown

    bad = tmp_path / "bad.yaml"
    bad.write_text("policies:\n  - id: data-loss\n    severity: 3\n")
    result = subprocess.run(
        [sys.executable, "-m", "hotwash", "triggers", "validate", str(bad)],
        env=env.database.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert 'policy "data-loss", field severity: data loss is SEV2 or higher' in result.stderr


def test_a_wrong_policy_file_stops_hotwash_at_start_up(env: Env, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "policies:\n  - id: shop\n    trigger: downtime\n    match: {service: shop}\n    firing_for: soon\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "hotwash", "check"],
        env={**env.database.env, "HOTWASH_TRIGGER_POLICY_FILE": str(bad)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert 'policy "shop", field firing_for:' in result.stderr
    assert "'soon' is not a duration" in result.stderr


@pytest.mark.database_independent
@pytest.mark.parametrize(
    ("language", "groups", "expected"),
    [
        ("en", 1, "Looked at 1 alert group; silent heartbeats: none; escalated: INC-7."),
        ("en", 2, "Looked at 2 alert groups; silent heartbeats: nightly; escalated: none."),
        (
            "fr",
            1,
            "1 groupe d\u2019alertes examiné ; battements de cœur silencieux : aucun ; "
            "montés d\u2019un niveau : INC-7.",
        ),
    ],
)
def test_the_check_summary_counts_in_words(language: str, groups: int, expected: str) -> None:
    report = CheckReport(groups=groups, silent=["nightly"] if groups == 2 else [])
    report.escalated = [7] if groups == 1 else []
    with translation.override(language):
        assert check_summary(report) == expected

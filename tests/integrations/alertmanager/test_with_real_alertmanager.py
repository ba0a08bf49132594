"""The real thing: Debian's prometheus-alertmanager, on loopback, posting to
a real `hotwash serve` through a webhook receiver with a bearer token.

Alerts are pushed into Alertmanager through its own API; Alertmanager
groups them and notifies Hotwash as it would in production (group_wait,
group_interval and repeat_interval are shortened to a second)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.support.servers import free_port, running_server, server_database, stop

pytestmark = [
    pytest.mark.server,
    # What Alertmanager sends and how Hotwash answers it; storing alerts on
    # each database is tests/alerts' business.
    pytest.mark.database_independent,
    pytest.mark.skipif(
        shutil.which("prometheus-alertmanager") is None
        and not Path("/usr/bin/prometheus-alertmanager").exists(),
        reason="Debian's prometheus-alertmanager is not installed (make system-deps)",
    ),
]

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
DEADLINE = 30.0
T = TypeVar("T")

CONFIG = """\
route:
  receiver: hotwash
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1s
receivers:
  - name: hotwash
    webhook_configs:
      - url: "{url}/api/v1/alerts/alertmanager"
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: "{token}"
"""


def eventually(check: Callable[[], T | None], what: str, deadline: float = DEADLINE) -> T:
    """Poll `check` until it returns something, within a bounded time."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        result = check()
        if result is not None and result is not False:
            return result
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


@contextlib.contextmanager
def alertmanager(tmp_path: Path, hotwash_url: str, token: str) -> Iterator[str]:
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=hotwash_url, token=token))
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert process.poll() is None, (tmp_path / "alertmanager.log").read_text()
            with contextlib.suppress(httpx.TransportError):
                return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            return False

        eventually(ready, "Alertmanager to start")
        yield url
    finally:
        stop(process)
        log.close()


def push(alertmanager_url: str, *alerts: dict[str, Any]) -> None:
    response = httpx.post(f"{alertmanager_url}/api/v2/alerts", json=list(alerts), timeout=5)
    assert response.status_code == 200, response.text


def alert(name: str, ends_in: timedelta = timedelta(hours=1), **labels: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, **labels},
        "annotations": {"summary": f"{name} is firing"},
        "startsAt": (now - timedelta(seconds=5)).isoformat(),
        "endsAt": (now + ends_in).isoformat(),
        "generatorURL": f"http://prometheus.example:9090/graph?g0.expr={name}",
    }


HEARTBEAT_POLICY = """\
heartbeats:
  - name: pipeline
    alert: {alertname: DeadMansSwitch}
    period: 2s
    grace: 1s
    service: monitoring
"""


@dataclass
class Stack:
    alertmanager: str
    api: httpx.Client  # a person's, on the Hotwash server
    hotwash_url: str
    token: str
    database: Any
    tmp_path: Path

    def group_named(self, name: str) -> dict[str, Any] | None:
        items = self.api.get("/api/v1/alerts/groups").json()["items"]
        found = [g for g in items if g["labels"].get("alertname") == name]
        return found[0] if found else None

    def detail(self, group: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = self.api.get(f"/api/v1/alerts/groups/{group['id']}").json()
        return body


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Hotwash and Alertmanager, started once for the module; each test
    uses alerts of its own."""
    tmp_path = tmp_path_factory.mktemp("alertmanager")
    with server_database(tmp_path) as database:
        # A heartbeat kept alive by an always-firing alert, with a period short
        # enough for a test to see it fall silent.
        policy = tmp_path / "triggers.yaml"
        policy.write_text(HEARTBEAT_POLICY)
        database.env["HOTWASH_TRIGGER_POLICY_FILE"] = str(policy)
        token = database.run("createtoken", "--source", "alertmanager").strip()
        reader = database.create_user("amira")
        with (
            running_server(database, "--no-collectstatic") as server,
            alertmanager(tmp_path, server.url, token) as am,
            httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {reader}"}, timeout=10
            ) as api,
        ):
            yield Stack(am, api, server.url, token, database, tmp_path)


def test_alertmanager_opens_one_incident_and_resolving_resolves(stack: Stack) -> None:
    am, api = stack.alertmanager, stack.api
    # A critical alert: the downtime policy opens an incident.
    shop = alert("ShopDown", service="shop", severity="critical", instance="shop-1")
    push(am, shop)
    group = eventually(
        lambda: (g := stack.group_named("ShopDown")) and g["incident"] and g, "the incident"
    )
    ref = group["incident"]
    # Alertmanager re-sends the group (repeat_interval 1s): no duplicate.
    eventually(
        lambda: stack.detail(group)["alerts"][0]["notification_count"] >= 2,
        "a repeated notification",
    )
    second = alert("ShopDown", service="shop", severity="critical", instance="shop-2")
    push(am, shop, second)
    eventually(lambda: stack.detail(group)["alert_count"] == 2, "the second alert")
    incidents = api.get("/api/v1/incidents").json()
    assert incidents["count"] == 1 and incidents["items"][0]["id"] == ref
    shop_groups = [
        g
        for g in api.get("/api/v1/alerts/groups").json()["items"]
        if g["labels"].get("alertname") == "ShopDown"
    ]
    assert len(shop_groups) == 1

    # Resolving in Alertmanager resolves in Hotwash, and says so on the
    # incident's timeline.
    over = timedelta(seconds=-1)
    push(
        am,
        alert("ShopDown", over, service="shop", severity="critical", instance="shop-1"),
        alert("ShopDown", over, service="shop", severity="critical", instance="shop-2"),
    )
    resolved = eventually(
        lambda: (d := stack.detail(group))["status"] == "resolved" and d, "the resolution"
    )
    assert {a["status"] for a in resolved["alerts"]} == {"resolved"}
    assert all(a["ends_at"] for a in resolved["alerts"])

    def alert_entries() -> list[dict[str, Any]] | None:
        items = api.get(f"/api/v1/incidents/{ref}/timeline?per_page=200").json()["items"]
        entries = [e for e in items if e["kind"] == "alert"]
        events = [e["data"].get("event") for e in entries]
        return entries if events.count("resolved") == 2 else None

    entries = eventually(alert_entries, "the resolutions on the timeline")
    assert [e["data"].get("event") for e in entries].count("firing") == 2
    assert api.get("/api/v1/incidents").json()["count"] == 1


def test_the_watchdog_heartbeat_is_received_on_every_repeat(stack: Stack) -> None:
    """Alertmanager's always-firing Watchdog alert arrives again on every
    repeat_interval; each notification updates its group (the triggers app
    watches that for silence) and never opens an incident."""
    push(stack.alertmanager, alert("Watchdog", severity="none"))

    def watchdog(count: int) -> dict[str, Any] | None:
        group = stack.group_named("Watchdog")
        if group is None:
            return None
        detail = stack.detail(group)
        return detail if detail["alerts"][0]["notification_count"] >= count else None

    first = eventually(lambda: watchdog(1), "the Watchdog alert")
    later = eventually(lambda: watchdog(3), "two more Watchdog notifications")
    assert later["last_notified_at"] > first["last_notified_at"]
    assert later["status"] == "firing" and later["alert_count"] == 1
    assert later["incident"] is None


def test_an_always_firing_alert_falling_silent_opens_a_monitoring_failure(stack: Stack) -> None:
    """A second Alertmanager (the monitoring pipeline) sends the heartbeat
    alert until it stops; once the heartbeat's period and grace have passed,
    the periodic check opens one "monitoring failure" incident."""

    def monitoring_failures() -> list[dict[str, Any]]:
        found = stack.api.get("/api/v1/incidents", params={"q": "pipeline silent"}).json()
        return [i for i in found["items"] if "Monitoring failure" in i["title"]]

    pipeline = stack.tmp_path / "pipeline"
    pipeline.mkdir()
    with alertmanager(pipeline, stack.hotwash_url, stack.token) as am:
        push(am, alert("DeadMansSwitch", severity="none"))

        def notified_twice() -> bool:
            group = stack.group_named("DeadMansSwitch")
            if not group:
                return False
            count: int = stack.detail(group)["alerts"][0]["notification_count"]
            return count >= 2

        eventually(notified_twice, "the heartbeat alert to be re-sent")
        stack.database.run("triggers", "check")
        assert monitoring_failures() == []  # alive: nothing to open
    # The pipeline is gone; wait out period + grace, then run the check.
    time.sleep(3.5)
    stack.database.run("triggers", "check")
    stack.database.run("triggers", "check")  # a second check opens nothing more
    failures = monitoring_failures()
    assert len(failures) == 1, failures

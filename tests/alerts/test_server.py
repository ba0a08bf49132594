"""Alerts end to end, through a real `hotwash serve`: nothing acknowledged
is lost when the server is killed mid-burst, and an alert storm in one
group opens exactly one incident under concurrent requests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.integrations.generic.payloads import generic_alert
from tests.support.servers import RunningServer, ServerDatabase, running_server, server_database

pytestmark = pytest.mark.server

DEADLINE = 30.0


def stored_fingerprints(database: ServerDatabase) -> set[str]:
    """What the server's database holds, read directly (after the server
    has gone, or from outside it)."""
    if database.url.startswith("sqlite"):
        path = database.url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path)) as connection:
            return {row[0] for row in connection.execute("SELECT fingerprint FROM alerts_alert")}
    import psycopg

    with psycopg.connect(database.url) as connection:
        return {row[0] for row in connection.execute("SELECT fingerprint FROM alerts_alert")}


@dataclass
class Setup:
    database: ServerDatabase
    token: str  # a generic alert source's
    reader: str  # a person's API token


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """One migrated database for the module (migrating is the slow part);
    each test starts its own server on it."""
    with server_database(tmp_path_factory.mktemp("alerts")) as database:
        token = database.run("createtoken", "--source", "scripts", "--kind", "generic").strip()
        yield Setup(database, token, database.create_user("amira"))


def test_a_killed_server_loses_no_acknowledged_alert(setup: Setup) -> None:
    database, token = setup.database, setup.token
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def burst(server: RunningServer, worker: int) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
            for sequence in range(100_000):
                if stop.is_set():
                    return
                fingerprint = f"w{worker}-{sequence}"
                alert = generic_alert(
                    fingerprint, alertname="Burst", service="burst", severity="info"
                )
                try:
                    response = client.post(
                        "/api/v1/alerts/generic", content=json.dumps({"alerts": [alert]})
                    )
                except httpx.TransportError:
                    return  # the server is gone; this one may or may not be stored
                if 200 <= response.status_code < 300:
                    with lock:
                        acknowledged.add(fingerprint)

    with running_server(database, "--no-collectstatic", "--threads", "16") as server:
        workers = [threading.Thread(target=burst, args=(server, n), daemon=True) for n in range(6)]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + DEADLINE
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(server.process.pid, signal.SIGKILL)  # mid-burst, no goodbye
        server.process.wait(timeout=10)
        stop.set()
        for worker in workers:
            worker.join(timeout=15)
    assert len(acknowledged) >= 300
    # Restarted on the same database: everything that got a 2xx is there.
    with running_server(database, "--no-collectstatic"):
        missing = acknowledged - stored_fingerprints(database)
    assert not missing, f"{len(missing)} acknowledged alerts lost, e.g. {sorted(missing)[:5]}"


def test_a_storm_in_one_group_opens_exactly_one_incident(setup: Setup) -> None:
    token, reader = setup.token, setup.reader
    with running_server(setup.database, "--no-collectstatic") as server:
        batches = [
            [generic_alert(f"storm-{n}", instance=f"i-{n}") for n in range(start, start + 250)]
            for start in range(0, 10_000, 250)
        ]
        statuses: list[int] = []

        def send(share: list[list[dict[str, Any]]]) -> None:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
                for batch in share:
                    body = json.dumps({"alerts": batch})
                    statuses.append(client.post("/api/v1/alerts/generic", content=body).status_code)

        senders = [threading.Thread(target=send, args=(batches[n::8],)) for n in range(8)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=120)
        assert statuses == [200] * len(batches)
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {reader}"}
        ) as api:
            groups = api.get("/api/v1/alerts/groups").json()["items"]
            incidents = api.get("/api/v1/incidents").json()
        (group,) = [g for g in groups if g["labels"].get("alertname") == "Storm"]
        assert (group["alert_count"], group["firing_count"]) == (10_000, 10_000)
        assert incidents["count"] == 1
        assert group["incident"] == incidents["items"][0]["id"]
        assert incidents["items"][0]["detection_source"] == "alert"

"""Heartbeats: pings through the API, Alertmanager's Watchdog, silence past
period + grace, one incident per outage, and the recovery."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from pytest_django import Settings

from hotwash.alerts.models import AlertSource
from hotwash.core.models import AuditRecord
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import DetectionSource, Incident, TimelineKind
from hotwash.triggers import services
from hotwash.triggers.models import Heartbeat, HeartbeatStatus, PolicyFiring, Proposal
from tests.support import triggers as support
from tests.support.triggers import T0, alert, send

_fresh_claims, source, policy_file = support._fresh_claims, support.source, support.policy_file

pytestmark = pytest.mark.django_db

POLICY = """
heartbeats:
  - name: nightly-backup
    period: 1h
    grace: 10m
    severity: 3
    service: backups
"""


@pytest.fixture(autouse=True)
def _policies(policy_file: Callable[[str], Path]) -> None:
    policy_file(POLICY)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def ping(api: Client, name: str = "nightly-backup") -> Any:
    return api.post(f"/api/v1/heartbeats/{name}")


def test_the_first_ping_starts_monitoring(api: Client, clock: time_machine.Traveller) -> None:
    response = ping(api)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "nightly-backup"
    assert body["status"] == "up"
    assert body["period_seconds"] == 3600
    assert body["grace_seconds"] == 600
    assert body["last_ping_at"].startswith("2026-11-26T03:12:00")
    assert AuditRecord.objects.filter(action="heartbeat.started").count() == 1
    clock.move_to(T0 + timedelta(minutes=30))
    assert ping(api).json()["last_ping_at"].startswith("2026-11-26T03:42:00")
    # Pings themselves are not audited: the row keeps the latest.
    assert AuditRecord.objects.filter(action__startswith="heartbeat.").count() == 1


def test_a_silent_heartbeat_opens_one_incident_per_outage(
    api: Client, clock: time_machine.Traveller
) -> None:
    ping(api)
    clock.move_to(T0 + timedelta(hours=1, minutes=9))
    assert services.run_checks().silent == []
    assert not Incident.objects.exists()

    clock.move_to(T0 + timedelta(hours=1, minutes=11))
    assert services.run_checks().silent == ["nightly-backup"]
    services.run_checks()
    incident = Incident.objects.get()
    assert incident.title == "Monitoring failure: nightly-backup silent"
    assert incident.severity == 3
    assert incident.detection_source == DetectionSource.ALERT
    assert list(incident.services.values_list("name", flat=True)) == ["backups"]
    assert incident.impact_started_at == T0 + timedelta(hours=1)
    heartbeat = Heartbeat.objects.get()
    assert (heartbeat.status, heartbeat.down_since, heartbeat.incident_id) == (
        HeartbeatStatus.DOWN,
        T0,
        incident.pk,
    )
    firing = PolicyFiring.objects.get()
    assert (firing.policy_id, firing.heartbeat_id) == ("monitoring-failure", heartbeat.pk)
    assert "No sign of life from the heartbeat nightly-backup" in describe_event(
        incident.timeline.get(kind=TimelineKind.TRIGGER)
    )
    listed = {h["name"]: h for h in api.get("/api/v1/heartbeats").json()}
    assert (listed["nightly-backup"]["status"], listed["nightly-backup"]["incident"]) == (
        "silent",
        incident.ref,
    )
    assert listed["Watchdog"]["status"] == "waiting"  # shipped, never heard from

    # The next ping ends the outage, on the incident's timeline.
    clock.move_to(T0 + timedelta(hours=2))
    assert ping(api).json()["status"] == "up"
    entry = incident.timeline.filter(kind=TimelineKind.TRIGGER).order_by("-id").first()
    assert entry is not None
    assert describe_event(entry) == (
        "The heartbeat nightly-backup is alive again, after 2 h of silence."
    )
    assert AuditRecord.objects.filter(action="heartbeat.recovered").count() == 1

    # A second outage is a second incident.
    clock.move_to(T0 + timedelta(hours=3, minutes=11))
    services.run_checks()
    assert Incident.objects.count() == 2


def test_a_heartbeat_never_pinged_is_not_monitored(
    api: Client, clock: time_machine.Traveller
) -> None:
    clock.move_to(T0 + timedelta(days=3))
    services.run_checks()
    assert not Incident.objects.exists()
    listed = {h["name"]: h["status"] for h in api.get("/api/v1/heartbeats").json()}
    assert listed["nightly-backup"] == "waiting"


def test_an_unknown_heartbeat_is_refused_and_nothing_is_written(api: Client) -> None:
    response = ping(api, "nighty-backup")
    assert response.status_code == 404
    assert "No heartbeat named nighty-backup is configured" in response.json()["message"]
    assert "HOTWASH_TRIGGER_POLICY_FILE" in response.json()["message"]
    assert not Heartbeat.objects.exists()


def test_pinging_needs_a_token_and_a_responder(viewer: User, client: Client) -> None:
    response = client.post("/api/v1/heartbeats/nightly-backup")
    assert response.status_code == 401
    from hotwash.accounts.services import create_api_token

    token = create_api_token(viewer, name="t")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        "/api/v1/heartbeats/nightly-backup"
    )
    assert response.status_code == 403
    assert not Heartbeat.objects.exists()


def test_propose_mode_asks_before_opening_the_incident(
    api: Client, clock: time_machine.Traveller, policy_file: Callable[[str], Path], responder: User
) -> None:
    policy_file(POLICY + "policies:\n  - id: monitoring-failure\n    mode: propose\n")
    ping(api)
    clock.move_to(T0 + timedelta(hours=2))
    services.run_checks()
    assert not Incident.objects.exists()
    proposal = Proposal.objects.get()
    services.accept(proposal, actor=responder)
    incident = Incident.objects.get()
    assert Heartbeat.objects.get().incident_id == incident.pk
    assert incident.created_by == responder


@pytest.mark.parametrize(
    ("language", "expected", "described"),
    [
        (
            "en",
            "(expected every 90 s, with 30 s of grace)",
            "No sign of life from the heartbeat deploy-probe for more than 2 min.",
        ),
        (
            "fr",
            "(attendu toutes les 90 s, avec 30 s de marge)",
            "Aucun signe de vie du battement de cœur deploy-probe depuis plus de 2 min.",
        ),
    ],
)
def test_the_monitoring_failure_gives_the_period_exactly(
    api: Client,
    clock: time_machine.Traveller,
    policy_file: Callable[[str], Path],
    settings: Settings,
    language: str,
    expected: str,
    described: str,
) -> None:
    """The summary is written in the site's language, the timeline in the
    reader's: both say 90 s, not "1 min"."""
    settings.LANGUAGE_CODE = language
    policy_file("heartbeats:\n  - name: deploy-probe\n    period: 90s\n    grace: 30s\n")
    ping(api, "deploy-probe")
    clock.move_to(T0 + timedelta(seconds=121))
    assert services.run_checks().silent == ["deploy-probe"]
    incident = Incident.objects.get()
    assert expected in incident.summary
    with translation.override(language):
        assert described in describe_event(incident.timeline.get(kind=TimelineKind.TRIGGER))
    ping(api, "deploy-probe")
    recovered = incident.timeline.filter(kind=TimelineKind.TRIGGER).order_by("-id").first()
    assert recovered is not None
    with translation.override(language):
        assert "2 min" in describe_event(recovered)


# --- Watchdog ---------------------------------------------------------------------

WATCHDOG = """
heartbeats:
  - name: Watchdog
    alert: {alertname: Watchdog}
    period: 5m
    grace: 5m
"""


def test_the_watchdog_alert_keeps_its_heartbeat_alive(
    source: AlertSource, clock: time_machine.Traveller, policy_file: Callable[[str], Path]
) -> None:
    policy_file(WATCHDOG)
    watchdog = alert("Watchdog", severity="none", group="watchdog")
    for minute in range(0, 30, 2):
        clock.move_to(T0 + timedelta(minutes=minute))
        send(source, watchdog)  # Alertmanager re-sends it every repeat_interval
        services.run_checks()
    heartbeat = Heartbeat.objects.get()
    assert heartbeat.last_source == "alert"
    assert heartbeat.last_ping_at == T0 + timedelta(minutes=28)
    assert not Incident.objects.exists()

    # Notifications stop: after period + grace, the monitoring failure.
    clock.move_to(T0 + timedelta(minutes=37))
    services.run_checks()
    assert not Incident.objects.exists()
    clock.move_to(T0 + timedelta(minutes=39))
    services.run_checks()
    incident = Incident.objects.get()
    assert incident.title == "Monitoring failure: Watchdog silent"
    assert incident.severity == 2  # the monitoring-failure policy's default

    # Alertmanager is back.
    clock.move_to(T0 + timedelta(minutes=50))
    send(source, watchdog)
    services.run_checks()
    assert Heartbeat.objects.get().status == HeartbeatStatus.UP
    assert "alive again" in describe_event(
        incident.timeline.filter(kind=TimelineKind.TRIGGER).order_by("-id").first()  # type: ignore[arg-type]
    )


def test_a_resolved_watchdog_is_no_sign_of_life(
    source: AlertSource, clock: time_machine.Traveller, policy_file: Callable[[str], Path]
) -> None:
    policy_file(WATCHDOG)
    send(source, alert("Watchdog", group="watchdog"))
    services.run_checks()
    clock.move_to(T0 + timedelta(minutes=3))
    send(source, alert("Watchdog", group="watchdog", status="resolved"))
    services.run_checks()
    assert Heartbeat.objects.get().last_ping_at == T0
    clock.move_to(T0 + timedelta(minutes=11))
    services.run_checks()
    assert Incident.objects.get().title == "Monitoring failure: Watchdog silent"

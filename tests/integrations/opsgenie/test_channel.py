"""Opsgenie through the notification rules, end to end, against a loopback
stand-in of the Alert API (standin.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from pytest_django import Settings

from hotwash.incidents.models import Incident
from hotwash.incidents.services import declare_incident, set_status
from hotwash.jobs.worker import HotwashWorker
from hotwash.notifications.models import Delivery, DeliveryStatus
from hotwash.notifications.routing import load_notification_policy
from tests.integrations.opsgenie.standin import OpsgenieStandIn

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
VARIABLE = "HOTWASH_SECRET_OPSGENIE_KEY"
RULES = f"""
rules:
  - name: alert-ops
    when:
      events: [incident.declared, incident.resolved]
      severities: [1, 2]
    send:
      - opsgenie: {{api_key_env: {VARIABLE}}}
"""


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def opsgenie(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[OpsgenieStandIn]:
    path = tmp_path / "notifications.yaml"
    path.write_text(RULES, encoding="utf-8")
    settings.NOTIFICATION_POLICY_FILE = str(path)
    with OpsgenieStandIn() as standin:
        settings.OPSGENIE_API_URL = standin.url
        monkeypatch.setenv(VARIABLE, standin.api_key)
        yield standin


def drain() -> int:
    return HotwashWorker(
        worker_id="tests", queue_names=["default"], interval=0, periodic=False
    ).drain()


def declare(actor: User, *, severity: int = 1, private: bool = False) -> Incident:
    return declare_incident(
        actor=actor,
        title="Checkout fails",
        summary="Card payments time out.",
        severity=severity,
        services=["shop"],
        private=private,
    )


def test_an_incident_creates_an_alert_and_its_resolution_closes_it(
    responder: User, opsgenie: OpsgenieStandIn
) -> None:
    incident = declare(responder)
    drain()
    [create] = opsgenie.requests
    assert (create.method, create.path) == ("POST", "/v2/alerts")
    assert create.headers["authorization"] == f"GenieKey {opsgenie.api_key}"
    body = create.body
    assert body["message"] == f"SEV1 {incident.ref}: Checkout fails"
    assert body["alias"] == incident.ref
    assert body["priority"] == "P1"
    assert body["source"] == "Hotwash"
    assert body["entity"] == "shop"
    assert body["tags"] == ["hotwash", "SEV1"]
    assert body["description"].startswith("Card payments time out.")
    assert body["details"]["url"].endswith(f"/incidents/{incident.ref}/")
    assert opsgenie.alerts == {incident.ref: "open"}
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.SENT, 202)
    assert delivery.target == {"api_key_env": VARIABLE}

    set_status(incident, actor=responder, status="resolved")
    drain()
    close = opsgenie.requests[-1]
    assert close.path == f"/v2/alerts/{incident.ref}/close"
    assert close.query == {"identifierType": ["alias"]}
    assert close.body["source"] == "Hotwash"
    assert opsgenie.alerts == {incident.ref: "closed"}


def test_a_sev3_or_private_incident_alerts_no_one(
    responder: User, opsgenie: OpsgenieStandIn
) -> None:
    declare(responder, severity=3)
    declare(responder, private=True)
    drain()
    assert opsgenie.requests == []
    assert not Delivery.objects.exists()


def test_a_rate_limited_alert_waits_for_retry_after(
    responder: User, opsgenie: OpsgenieStandIn, settings: Settings
) -> None:
    settings.TASK_RETRY_SECONDS = 1
    opsgenie.fail_next(429, headers={"Retry-After": "90"}, body={"message": "Rate limit"})
    before = datetime.now(UTC)
    declare(responder)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_status_code == 429
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= before + timedelta(seconds=90)


def test_a_wrong_key_fails_at_once_with_opsgenies_message(
    responder: User,
    opsgenie: OpsgenieStandIn,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(VARIABLE, "not-the-key")
    declare(responder)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "Opsgenie refused the request (HTTP 401): Could not authenticate"
    assert "not-the-key" not in caplog.text
    assert "not-the-key" not in str(delivery.target)


def test_a_missing_variable_fails_with_a_clear_message(
    responder: User, opsgenie: OpsgenieStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(VARIABLE)
    declare(responder)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == (
        f"Opsgenie API key unavailable: the environment variable {VARIABLE} is not set or "
        "empty in the worker."
    )
    assert opsgenie.requests == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{}", "exactly api_key_env"),
        ("{api_key_env: HOTWASH_SECRET_X, team: ops}", "exactly api_key_env"),
        ("{api_key_env: HOTWASH_SECRET_KEY}", "Hotwash's own secret key"),
    ],
)
def test_a_wrong_target_stops_start_up_naming_it(
    settings: Settings, tmp_path: Path, target: str, message: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - name: alert\n    when: {events: [incident.declared]}\n"
        f"    send:\n      - opsgenie: {target}\n",
        encoding="utf-8",
    )
    settings.NOTIFICATION_POLICY_FILE = str(path)
    with pytest.raises(Exception, match="opsgenie") as error:
        load_notification_policy()
    assert message in str(error.value)

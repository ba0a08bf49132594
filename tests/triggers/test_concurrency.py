"""Exactly one incident per group, heartbeat outage and escalation, even
when requests and workers race. Threads on PostgreSQL, each with its own
connection (SQLite serialises every write transaction, so there is no race
to lose there; the server tests cover it end to end)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from pytest_django import Settings

from hotwash.alerts.models import AlertGroup, AlertSource
from hotwash.incidents.models import Incident
from hotwash.triggers import services
from hotwash.triggers.models import PolicyFiring
from tests.support import triggers as support
from tests.support.triggers import T0, alert, send

_fresh_claims, source = support._fresh_claims, support.source

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="races need concurrent writers (PostgreSQL)"
    ),
]

THREADS = 4


def race(work: Callable[[int], Any]) -> list[BaseException]:
    """Run `work(n)` in THREADS threads released at the same instant."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            work(n)
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_concurrent_first_notifications_open_one_incident(source: AlertSource) -> None:
    with time_machine.travel(T0, tick=False):
        errors = race(
            lambda n: send(
                source,
                alert(service="shop", severity="critical", instance=f"pod-{n}"),
            )
        )
    assert errors == []
    assert Incident.objects.count() == 1
    assert AlertGroup.objects.get().incident_id == Incident.objects.get().pk
    assert PolicyFiring.objects.count() == 1


def test_concurrent_checks_open_one_incident(source: AlertSource) -> None:
    with time_machine.travel(T0, tick=False):
        send(source, alert("SlowCheckout", service="shop", severity="warning"))
    later = T0 + timedelta(minutes=20)
    with time_machine.travel(later, tick=False):
        errors = race(lambda n: services.run_checks(later))
    assert errors == []
    assert Incident.objects.count() == 1
    assert PolicyFiring.objects.count() == 1


def test_concurrent_heartbeat_checks_open_one_outage(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "triggers.yaml"
    path.write_text("heartbeats:\n  - {name: backup, period: 1h, grace: 10m}\n")
    settings.TRIGGER_POLICY_FILE = str(path)
    with time_machine.travel(T0, tick=False):
        services.ping("backup", actor=None)
    later = T0 + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        errors = race(lambda n: services.run_checks(later))
    assert errors == []
    assert Incident.objects.count() == 1
    assert Incident.objects.get().title == "Monitoring failure: backup silent"


def test_concurrent_escalations_escalate_once(db: None) -> None:
    from hotwash.incidents.services import declare_incident

    with time_machine.travel(T0, tick=False):
        incident = declare_incident(actor=None, title="Slow exports", severity=3)
    later = T0 + timedelta(days=1, minutes=1)
    with time_machine.travel(later, tick=False):
        errors = race(lambda n: services.run_checks(later))
    assert errors == []
    incident.refresh_from_db()
    assert incident.severity == 2
    assert PolicyFiring.objects.filter(incident=incident).count() == 1

"""/metrics in-process: every series is there, and moves when the thing it
counts happens (read from the database at scrape time)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from hotwash.alerts.services import create_source
from hotwash.incidents.services import declare_incident, set_status
from hotwash.jobs.heartbeat import Heartbeat
from hotwash.jobs.queue import enqueue_many
from hotwash.jobs.worker import HotwashWorker
from hotwash.notifications.models import WebhookSubscription
from hotwash.notifications.reminders import scan_reminders
from hotwash.notifications.tasks import deliver_webhook
from tests.integrations.alertmanager.payloads import am_alert, am_payload
from tests.support.notifications import WebhookSink, make_item
from tests.support.prometheus import Samples

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def scrape() -> Samples:
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return Samples(response.content.decode())


def drain() -> int:
    return HotwashWorker(
        worker_id="tests", queue_names=["default"], interval=0, periodic=False
    ).drain()


def test_every_series_is_there_from_the_start_and_prefixed() -> None:
    samples = scrape()
    assert all(name.startswith("hotwash_") for name in samples.names())
    assert samples("hotwash_build_info", version="0.1.0") == 1
    for severity in ("SEV1", "SEV2", "SEV3", "SEV4"):
        assert samples("hotwash_incidents_open", severity=severity) == 0
    for state in ("ready", "scheduled", "running"):
        assert samples("hotwash_queue_tasks", queue="default", state=state) == 0
    assert samples("hotwash_queue_oldest_task_age_seconds", queue="default") == 0
    for channel in ("webhook", "email", "tracker"):
        assert samples("hotwash_deliveries_failed", channel=channel) == 0
        assert samples("hotwash_deliveries_retrying", channel=channel) == 0
    for kind in ("action_item.due_soon", "action_item.overdue", "digest"):
        assert samples("hotwash_reminders_sent_total", kind=kind) == 0
    assert samples("hotwash_workers_seen") == 0
    assert samples("hotwash_ready", check="database") == 1
    assert samples("hotwash_ready", check="migrations") == 1
    assert samples("hotwash_ready", check="worker") == 0
    # Scraping is a request like any other (counted once answered).
    samples = scrape()
    assert samples("hotwash_http_requests_total", route="metrics", method="GET", status="200")
    assert "hotwash_http_requests_total" in samples.names()
    assert "hotwash_http_request_duration_seconds_bucket" in samples.names()


def test_requests_are_counted_by_url_pattern_never_by_path(api: Client) -> None:
    before = scrape()
    for ref in ("INC-999001", "INC-999002", "INC-999003"):
        assert api.get(f"/api/v1/incidents/{ref}").status_code == 404
    samples = scrape()
    labels = {"route": "api/v1/incidents/<ref>", "method": "GET"}
    assert (
        samples("hotwash_http_requests_total", **labels, status="404")
        == before.get("hotwash_http_requests_total", **labels, status="404") + 3
    )
    assert (
        samples("hotwash_http_request_duration_seconds_count", **labels)
        == before.get("hotwash_http_request_duration_seconds_count", **labels) + 3
    )
    routes = {series["route"] for series in samples.labels("hotwash_http_requests_total")}
    assert not any("INC-99900" in route for route in routes)


def test_alerts_received_and_deduplicated_per_source() -> None:
    _source, token = create_source(name="prometheus-eu", kind="alertmanager")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert scrape()("hotwash_alerts_received_total", source="prometheus-eu") == 0

    payload = am_payload(am_alert(fingerprint="a1", severity="warning"))
    assert (
        client.post("/api/v1/alerts/alertmanager", payload, "application/json").status_code == 200
    )
    samples = scrape()
    assert samples("hotwash_alerts_received_total", source="prometheus-eu") == 1
    assert samples("hotwash_alerts_deduplicated_total", source="prometheus-eu") == 0

    # Alertmanager sends the group again: the same alert, deduplicated.
    assert (
        client.post("/api/v1/alerts/alertmanager", payload, "application/json").status_code == 200
    )
    samples = scrape()
    assert samples("hotwash_alerts_received_total", source="prometheus-eu") == 2
    assert samples("hotwash_alerts_deduplicated_total", source="prometheus-eu") == 1


def test_open_incidents_by_severity_count_private_ones_and_say_nothing_else(
    responder: User,
) -> None:
    declare_incident(actor=responder, title="Shop down", severity=1)
    secret = declare_incident(
        actor=responder, title="Payroll export leaked", severity=1, private=True
    )
    resolved = declare_incident(actor=responder, title="Search slow", severity=3)
    set_status(resolved, actor=responder, status="resolved")
    response = Client().get("/metrics")
    text = response.content.decode()
    samples = Samples(text)
    assert samples("hotwash_incidents_open", severity="SEV1") == 2
    assert samples("hotwash_incidents_open", severity="SEV3") == 0
    assert "Payroll" not in text and secret.ref not in text and "INC-" not in text
    assert "amira" not in text


def test_the_queue_depth_and_the_age_of_its_oldest_ready_task(
    _clock: time_machine.Traveller,
) -> None:
    enqueue_many(deliver_webhook, [(("00000000-0000-0000-0000-000000000000",), {})])
    _clock.shift(timedelta(seconds=90))
    samples = scrape()
    assert samples("hotwash_queue_tasks", queue="default", state="ready") == 1
    assert samples("hotwash_queue_oldest_task_age_seconds", queue="default") == 90
    DBTaskResult.objects.all().delete()
    samples = scrape()
    assert samples("hotwash_queue_tasks", queue="default", state="ready") == 0
    assert samples("hotwash_queue_oldest_task_age_seconds", queue="default") == 0


def test_a_failing_webhook_is_retrying_then_failed(
    settings: Settings, sink: WebhookSink, amira: User, _clock: time_machine.Traveller
) -> None:
    settings.TASK_MAX_ATTEMPTS = 2
    sink.statuses = [500, 500]
    fields: dict[str, Any] = {"secret": "whsec-for-tests-0123456789"}
    WebhookSubscription.objects.create(
        name="chat", url=sink.url, events=["action_item.created"], **fields
    )
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    samples = scrape()
    assert samples("hotwash_deliveries_retrying", channel="webhook") == 1
    assert samples("hotwash_deliveries_failed", channel="webhook") == 0
    # The retry waits in the queue for its time.
    assert samples("hotwash_queue_tasks", queue="default", state="scheduled") == 1
    _clock.shift(timedelta(seconds=61))
    drain()
    samples = scrape()
    assert samples("hotwash_deliveries_retrying", channel="webhook") == 0
    assert samples("hotwash_deliveries_failed", channel="webhook") == 1


def test_reminders_sent_by_kind(amira: User) -> None:
    make_item(amira, due_on=NOW.date() + timedelta(days=2))
    scan_reminders(NOW)
    assert scrape()("hotwash_reminders_sent_total", kind="action_item.due_soon") == 0
    drain()
    assert scrape()("hotwash_reminders_sent_total", kind="action_item.due_soon") == 1


def test_workers_seen_and_when(_clock: time_machine.Traveller) -> None:
    Heartbeat("w1").beat()
    samples = scrape()
    assert samples("hotwash_workers_seen") == 1
    assert samples("hotwash_worker_last_seen_timestamp_seconds") == NOW.timestamp()
    assert samples("hotwash_ready", check="worker") == 1
    _clock.shift(timedelta(minutes=2))
    samples = scrape()
    assert samples("hotwash_workers_seen") == 0
    assert samples("hotwash_worker_last_seen_timestamp_seconds") == NOW.timestamp()

"""/healthz and /readyz in-process: each readiness check, and what a
failing one says."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from hotwash.jobs.heartbeat import Heartbeat

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_healthz_says_ok_without_touching_the_database() -> None:
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ok_with_a_migrated_database_and_a_live_worker() -> None:
    Heartbeat("w1").beat()
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
    }


def test_readyz_fails_and_names_the_worker_when_none_was_ever_seen() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"
    assert body["checks"]["worker"] == "no worker seen"


def test_readyz_fails_when_the_last_worker_went_silent_a_minute_ago(
    _clock: time_machine.Traveller,
) -> None:
    Heartbeat("w1").beat()
    _clock.shift(timedelta(seconds=59))
    assert Client().get("/readyz").status_code == 200
    _clock.shift(timedelta(seconds=2))
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "no worker seen for 61 s (limit 60 s)"


def test_the_probes_answer_a_host_the_site_does_not_serve(settings: Settings) -> None:
    """Orchestrators probe a process by its address; ALLOWED_HOSTS names the
    site. The pages still refuse that Host."""
    Heartbeat("w1").beat()
    settings.ALLOWED_HOSTS = ["hotwash.example.org"]
    client = Client(HTTP_HOST="10.0.3.7:8000")
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/en/accounts/login/").status_code == 400


def test_the_probes_set_no_cookie_and_need_no_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    for path in ("/healthz", "/readyz", "/metrics"):
        response = client.get(path)
        assert not response.cookies, path
        assert client.post(path).status_code == 405, path

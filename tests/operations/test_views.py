"""/metrics behind HOTWASH_METRICS_TOKEN; the probes never are."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import Settings

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def protected(settings: Settings) -> None:
    settings.METRICS_TOKEN = TOKEN


def test_metrics_are_open_when_no_token_is_set() -> None:
    assert Client().get("/metrics").status_code == 200


@pytest.mark.usefixtures("protected")
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0123456789abcdef", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"],
)
def test_metrics_refuse_a_missing_or_wrong_token(authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = Client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="hotwash metrics"'
    assert b"hotwash_" not in response.content


@pytest.mark.usefixtures("protected")
def test_metrics_answer_the_right_token() -> None:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert b"hotwash_incidents_open" in response.content


@pytest.mark.usefixtures("protected")
def test_the_probes_need_no_token() -> None:
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/readyz").status_code in (200, 503)


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it() -> None:
    response = Client().get("/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0")
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.rstrip().endswith(b"# EOF")

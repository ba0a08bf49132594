"""What each event becomes for PagerDuty, without a server; and the
settings that point the pagers somewhere."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotwash.integrations.pagerduty.events import action_for, event_body
from hotwash.notifications.channel_http import retry_after, scrub
from hotwash.notifications.models import Event
from tests.test_settings import _settings, _start

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def event(type: str, **data: Any) -> Event:
    return Event(id=uuid.uuid4(), type=type, occurred_at=AT, data=data)


def incident(**fields: Any) -> dict[str, Any]:
    return {
        "ref": "INC-7",
        "title": "Search is slow",
        "severity": 3,
        "status": "investigating",
        "services": [],
        "teams": [],
        "url": "https://hotwash.example.org/en/incidents/INC-7/",
        **fields,
    }


@pytest.mark.parametrize(
    ("type", "status", "action"),
    [
        ("incident.declared", "investigating", "trigger"),
        ("incident.severity_changed", "identified", "trigger"),
        ("incident.role_assigned", "monitoring", "trigger"),
        ("incident.resolved", "resolved", "resolve"),
        ("incident.closed", "closed", "resolve"),
        # A late change to a finished incident never opens a new alert.
        ("incident.status_changed", "resolved", "resolve"),
        ("incident.severity_changed", "closed", "resolve"),
    ],
)
def test_each_event_triggers_or_resolves(type: str, status: str, action: str) -> None:
    assert action_for(event(type, incident=incident(status=status))) == action


def test_severities_map_to_pagerdutys_four() -> None:
    severities = [
        event_body(event("incident.declared", incident=incident(severity=level)))["payload"][
            "severity"
        ]
        for level in (1, 2, 3, 4)
    ]
    assert severities == ["critical", "error", "warning", "info"]


def test_without_services_the_source_is_hotwashs_host() -> None:
    body = event_body(event("incident.declared", incident=incident()))
    assert body["payload"]["source"] == "hotwash.example.org"
    assert "component" not in body["payload"] and "group" not in body["payload"]


def test_a_long_title_is_cut_to_pagerdutys_limit() -> None:
    body = event_body(event("incident.declared", incident=incident(title="x" * 2000)))
    assert len(body["payload"]["summary"]) == 1024


def test_a_proposal_without_an_incident_pages_under_its_own_key() -> None:
    fired = event(
        "proposal.raised",
        policy="checkout-errors",
        trigger="alert",
        incident=None,
        proposal={"id": 12, "title": "Checkout errors above 5%"},
    )
    body = event_body(fired)
    assert body["event_action"] == "trigger"
    assert body["dedup_key"] == "hotwash-proposal-12"
    assert body["payload"]["summary"] == "Proposed incident: Checkout errors above 5%"
    assert body["payload"]["custom_details"]["policy"] == "checkout-errors"


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    assert retry_after(httpx.Response(429, headers={"Retry-After": "45"})) == 45.0
    dated = httpx.Response(429, headers={"Retry-After": "Sun, 06 Dec 2026 09:02:00 GMT"})
    assert retry_after(dated, now=now) == 120.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(503)) is None


def test_scrub_hides_every_secret() -> None:
    assert scrub("key abc and abc", "abc", "") == "key [redacted] and [redacted]"


def test_the_pager_addresses_are_settings(tmp_path: Path) -> None:
    loaded = _settings(
        tmp_path,
        ["PAGERDUTY_EVENTS_URL", "OPSGENIE_API_URL", "PAGER_TIMEOUT"],
        {
            "HOTWASH_PAGERDUTY_EVENTS_URL": "http://127.0.0.1:9/v2/enqueue",
            "HOTWASH_OPSGENIE_API_URL": "https://api.eu.opsgenie.com/",
            "HOTWASH_PAGER_TIMEOUT": "3",
        },
    )
    assert loaded == {
        "PAGERDUTY_EVENTS_URL": "http://127.0.0.1:9/v2/enqueue",
        "OPSGENIE_API_URL": "https://api.eu.opsgenie.com",
        "PAGER_TIMEOUT": 3.0,
    }
    defaults = _settings(tmp_path, ["PAGERDUTY_EVENTS_URL", "OPSGENIE_API_URL"], {})
    assert defaults == {
        "PAGERDUTY_EVENTS_URL": "https://events.pagerduty.com/v2/enqueue",
        "OPSGENIE_API_URL": "https://api.opsgenie.com",
    }


def test_a_pager_address_that_is_not_http_stops_start_up(tmp_path: Path) -> None:
    result = _start(
        {"HOTWASH_PAGERDUTY_EVENTS_URL": "events.pagerduty.com", "HOTWASH_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode != 0
    assert "HOTWASH_PAGERDUTY_EVENTS_URL" in result.stderr

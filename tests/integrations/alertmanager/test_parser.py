"""Alertmanager's payload (version 4) becomes IncomingAlerts, and a payload
that does not fit names the field at fault."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from hotwash.alerts.api import malformed
from hotwash.alerts.ingest import fingerprint_of
from hotwash.alerts.payloads import InvalidPayload
from hotwash.integrations.alertmanager.parser import parse_alertmanager
from tests.integrations.alertmanager.payloads import am_alert, am_payload


def test_it_reads_alertmanager_version_4() -> None:
    body = am_payload(am_alert(fingerprint="abc", instance="shop-1"))
    (alert,) = parse_alertmanager(body)
    assert alert.fingerprint == "abc"
    assert alert.status == "firing"
    assert alert.labels["instance"] == "shop-1"
    assert alert.starts_at == datetime(2026, 11, 26, 3, 12, 0, 123456, tzinfo=UTC)
    assert alert.ends_at is None  # Go's zero time: no end
    assert alert.group_key == '{}:{alertname="ShopDown"}'
    assert alert.generator_url.startswith("http://prometheus.example")


def test_it_tolerates_fields_newer_alertmanagers_add() -> None:
    payload = json.loads(am_payload(am_alert(fingerprint="abc")))
    payload["notification_reason"] = "new_alerts"
    payload["alerts"][0]["silenceURL"] = "http://alertmanager.example/#/silences/new"
    payload["somethingElse"] = {"nested": [1, 2]}
    assert len(parse_alertmanager(json.dumps(payload).encode())) == 1


def test_an_alert_without_fingerprint_gets_one_from_its_labels() -> None:
    body = am_payload(am_alert(instance="a"), am_alert(instance="b"))
    first, second = parse_alertmanager(body)
    assert first.fingerprint == fingerprint_of(first.labels)
    assert first.fingerprint != second.fingerprint


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p.pop("groupKey"), "groupKey"),
        (lambda p: p.pop("alerts"), "alerts"),
        (lambda p: p["alerts"][1].pop("labels"), "alerts[1].labels"),
        (lambda p: p["alerts"][0].update(status="burning"), "alerts[0].status"),
        (lambda p: p["alerts"][1].update(startsAt="yesterday"), "alerts[1].startsAt"),
        (lambda p: p["alerts"][0]["labels"].update(team=None), "alerts[0].labels.team"),
    ],
)
def test_a_missing_or_wrong_field_is_named(change: Any, field: str) -> None:
    payload = json.loads(am_payload(am_alert(instance="a"), am_alert(instance="b")))
    change(payload)
    with pytest.raises(InvalidPayload) as error:
        parse_alertmanager(json.dumps(payload).encode())
    assert error.value.field == field
    refusal = malformed(error.value)  # what the endpoint answers
    assert refusal.status_code == 400
    assert refusal.field == field
    assert field in refusal.message

"""Payload builders the alert tests share, and the parsers that read them:
each source's format becomes the same list of IncomingAlert."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from hotwash.alerts import parsers
from hotwash.alerts.ingest import fingerprint_of

STARTED = "2026-11-26T03:12:00.123456789Z"
ZERO_TIME = "0001-01-01T00:00:00Z"


def am_alert(
    name: str = "ShopDown",
    *,
    fingerprint: str | None = None,
    status: str = "firing",
    starts_at: str = STARTED,
    ends_at: str = ZERO_TIME,
    **labels: str,
) -> dict[str, Any]:
    labels = {"alertname": name, "service": "shop", "severity": "critical", **labels}
    alert: dict[str, Any] = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": f"{name} on {labels.get('instance', 'shop-1')}"},
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up%3D%3D0",
    }
    if fingerprint is not None:
        alert["fingerprint"] = fingerprint
    return alert


def am_payload(*alerts: dict[str, Any], group_key: str = '{}:{alertname="ShopDown"}') -> bytes:
    firing = any(alert["status"] == "firing" for alert in alerts)
    common = dict(alerts[0]["labels"]) if alerts else {}
    for alert in alerts[1:]:
        common = {k: v for k, v in common.items() if alert["labels"].get(k) == v}
    return json.dumps(
        {
            "version": "4",
            "groupKey": group_key,
            "truncatedAlerts": 0,
            "status": "firing" if firing else "resolved",
            "receiver": "hotwash",
            "groupLabels": {"alertname": common.get("alertname", "")},
            "commonLabels": common,
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example:9093",
            "alerts": list(alerts),
        }
    ).encode()


def generic_payload(*alerts: dict[str, Any], **top: Any) -> bytes:
    return json.dumps({"alerts": list(alerts), **top}).encode()


def generic_alert(fingerprint: str, *, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "fingerprint": fingerprint,
        "status": status,
        "labels": {"alertname": "Storm", "service": "shop", "severity": "critical", **labels},
        "annotations": {"summary": "Checkout errors"},
    }


# --- parsers ----------------------------------------------------------------------------


def test_it_reads_alertmanager_version_4() -> None:
    body = am_payload(am_alert(fingerprint="abc", instance="shop-1"))
    (alert,) = parsers.parse_alertmanager(body)
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
    assert len(parsers.parse_alertmanager(json.dumps(payload).encode())) == 1


def test_an_alert_without_fingerprint_gets_one_from_its_labels() -> None:
    body = am_payload(am_alert(instance="a"), am_alert(instance="b"))
    first, second = parsers.parse_alertmanager(body)
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
    with pytest.raises(parsers.MalformedAlert) as error:
        parsers.parse_alertmanager(json.dumps(payload).encode())
    assert error.value.status_code == 400
    assert error.value.field == field
    assert field in error.value.message


def test_malformed_json_says_so() -> None:
    with pytest.raises(parsers.MalformedAlert) as error:
        parsers.parse_generic(b'{"alerts": [')
    assert "not valid JSON" in error.value.message
    with pytest.raises(parsers.MalformedAlert) as error:
        parsers.parse_generic(b"[1, 2]")
    assert "JSON object" in error.value.message


def test_it_reads_grafana_alerting() -> None:
    body = json.dumps(
        {
            "receiver": "hotwash",
            "status": "resolved",
            "orgId": 1,
            "groupKey": '{}/{__grafana_autogenerated__="true"}:{alertname="HighLatency"}',
            "groupLabels": {"alertname": "HighLatency"},
            "commonLabels": {"alertname": "HighLatency", "service": "api"},
            "alerts": [
                {
                    "status": "resolved",
                    "labels": {"alertname": "HighLatency", "service": "api"},
                    "annotations": {"summary": "p99 above 2s"},
                    "startsAt": "2026-11-26T03:00:00Z",
                    "endsAt": "2026-11-26T03:30:00Z",
                    "generatorURL": "https://grafana.example/alerting/grafana/abc/view",
                    "fingerprint": "a1b2c3d4e5f60718",
                    "panelURL": "https://grafana.example/d/xyz?viewPanel=3",
                    "values": {"B": 2.3},
                    "valueString": "[ var='B' value=2.3 ]",
                }
            ],
            "title": "[RESOLVED] HighLatency",
            "state": "ok",
            "message": "...",
            "version": "1",
            "truncatedAlerts": 0,
        }
    ).encode()
    (alert,) = parsers.parse_grafana(body)
    assert alert.status == "resolved"
    assert alert.fingerprint == "a1b2c3d4e5f60718"
    assert alert.ends_at == datetime(2026, 11, 26, 3, 30, tzinfo=UTC)
    assert alert.generator_url == "https://grafana.example/d/xyz?viewPanel=3"
    assert alert.group_labels == {"alertname": "HighLatency", "service": "api"}


def test_the_generic_schema_has_defaults_and_needs_labels() -> None:
    (alert,) = parsers.parse_generic(generic_payload({"labels": {"alertname": "Disk", "n": 3}}))
    assert alert.status == "firing"
    assert alert.labels == {"alertname": "Disk", "n": "3"}
    assert alert.fingerprint == fingerprint_of(alert.labels)
    assert alert.starts_at is None and alert.group_key == ""
    with pytest.raises(parsers.MalformedAlert) as error:
        parsers.parse_generic(generic_payload({"labels": {}}))
    assert error.value.field == "alerts[0].labels"
    with pytest.raises(parsers.MalformedAlert) as error:
        parsers.parse_generic(
            generic_payload({"labels": {"a": "b"}, "starts_at": "2026-11-26T03:00"})
        )
    assert error.value.field == "alerts[0].starts_at"  # a time needs its zone

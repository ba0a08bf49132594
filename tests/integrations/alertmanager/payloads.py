"""Alertmanager webhook payloads (version 4), as the alert tests send them."""

from __future__ import annotations

import json
from typing import Any

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

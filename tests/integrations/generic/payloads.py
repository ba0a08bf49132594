"""Payloads in Hotwash's generic alert format, as the alert tests send them."""

from __future__ import annotations

import json
from typing import Any


def generic_payload(*alerts: dict[str, Any], **top: Any) -> bytes:
    return json.dumps({"alerts": list(alerts), **top}).encode()


def generic_alert(fingerprint: str, *, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "fingerprint": fingerprint,
        "status": status,
        "labels": {"alertname": "Storm", "service": "shop", "severity": "critical", **labels},
        "annotations": {"summary": "Checkout errors"},
    }

"""Hotwash's generic format becomes IncomingAlerts: its defaults, and what
it refuses."""

from __future__ import annotations

import pytest

from hotwash.alerts.api import malformed
from hotwash.alerts.ingest import fingerprint_of
from hotwash.alerts.payloads import InvalidPayload
from hotwash.integrations.generic.parser import parse_generic
from tests.integrations.generic.payloads import generic_payload


def test_malformed_json_says_so() -> None:
    with pytest.raises(InvalidPayload) as error:
        parse_generic(b'{"alerts": [')
    assert "not valid JSON" in malformed(error.value).message
    with pytest.raises(InvalidPayload) as error:
        parse_generic(b"[1, 2]")
    assert "JSON object" in malformed(error.value).message


def test_the_generic_schema_has_defaults_and_needs_labels() -> None:
    (alert,) = parse_generic(generic_payload({"labels": {"alertname": "Disk", "n": 3}}))
    assert alert.status == "firing"
    assert alert.labels == {"alertname": "Disk", "n": "3"}
    assert alert.fingerprint == fingerprint_of(alert.labels)
    assert alert.starts_at is None and alert.group_key == ""
    with pytest.raises(InvalidPayload) as error:
        parse_generic(generic_payload({"labels": {}}))
    assert error.value.field == "alerts[0].labels"
    with pytest.raises(InvalidPayload) as error:
        parse_generic(generic_payload({"labels": {"a": "b"}, "starts_at": "2026-11-26T03:00"}))
    assert error.value.field == "alerts[0].starts_at"  # a time needs its zone

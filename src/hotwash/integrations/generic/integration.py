"""Hotwash's generic JSON format as a kind of alert source."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja.security.base import AuthBase

from hotwash.alerts.auth import AlertSourceToken
from hotwash.alerts.ingest import IncomingAlert
from hotwash.alerts.models import AlertSource
from hotwash.alerts.sources import AlertSourceKind
from hotwash.integrations.generic.parser import GenericPayload, parse_generic


class Generic(AlertSourceKind):
    kind = "generic"
    label = _("Generic JSON")
    summary = "Receive alerts in Hotwash's own format"
    description = """For anything that can post JSON: `{"alerts": [{"labels": {...}}]}`.
    An alert is identified by its `fingerprint` (default: its labels) and
    grouped by `group_key` (default: the source's grouping labels, alertname
    and service unless configured otherwise)."""
    payload = GenericPayload

    def authentication(self) -> AuthBase:
        return AlertSourceToken(self.kind)

    def receive(self, source: AlertSource, body: bytes) -> list[IncomingAlert]:
        return parse_generic(body)

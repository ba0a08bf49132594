"""Grafana alerting as a kind of alert source."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja.security.base import AuthBase

from hotwash.alerts.auth import AlertSourceToken
from hotwash.alerts.ingest import IncomingAlert
from hotwash.alerts.models import AlertSource
from hotwash.alerts.sources import AlertSourceKind
from hotwash.integrations.grafana.parser import GrafanaPayload, parse_grafana


class Grafana(AlertSourceKind):
    kind = "grafana"
    label = _("Grafana")
    summary = "Receive alerts from Grafana"
    description = """Grafana alerting's webhook contact point, with the Authorization
    header set to `Bearer <token>`. Alerts are deduplicated by fingerprint
    and grouped by `groupKey` (or, without one, by the source's labels)."""
    payload = GrafanaPayload

    def authentication(self) -> AuthBase:
        return AlertSourceToken(self.kind)

    def receive(self, source: AlertSource, body: bytes) -> list[IncomingAlert]:
        return parse_grafana(body)

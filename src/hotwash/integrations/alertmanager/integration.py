"""Prometheus Alertmanager as a kind of alert source."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja.security.base import AuthBase

from hotwash.alerts.auth import AlertSourceToken
from hotwash.alerts.ingest import IncomingAlert
from hotwash.alerts.models import AlertSource
from hotwash.alerts.sources import AlertSourceKind
from hotwash.integrations.alertmanager.parser import AlertmanagerPayload, parse_alertmanager


class Alertmanager(AlertSourceKind):
    kind = "alertmanager"
    label = _("Prometheus Alertmanager")
    summary = "Receive alerts from Prometheus Alertmanager"
    description = """Alertmanager's webhook payload (version 4; fields added by newer
    versions are ignored). Point a `webhook_configs` receiver here with
    `http_config.authorization.credentials` set to the source's token.
    Alerts are deduplicated by fingerprint and grouped by `groupKey`."""
    payload = AlertmanagerPayload

    def authentication(self) -> AuthBase:
        return AlertSourceToken(self.kind)

    def receive(self, source: AlertSource, body: bytes) -> list[IncomingAlert]:
        return parse_alertmanager(body)

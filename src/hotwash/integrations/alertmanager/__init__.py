"""Prometheus Alertmanager: alerts from a `webhook_configs` receiver.

parser.py reads its webhook payload (version 4); integration.py makes it
the alert source kind "alertmanager" (POST /api/v1/alerts/alertmanager,
authenticated by the source's bearer token). Documentation:
docs/integrations.md#prometheus-alertmanager.
"""

from __future__ import annotations

from hotwash.alerts.sources import sources
from hotwash.integrations.alertmanager.integration import Alertmanager


def register() -> None:
    sources.register(Alertmanager())

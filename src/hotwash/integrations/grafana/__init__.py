"""Grafana alerting: alerts from a webhook contact point.

parser.py reads its webhook payload; integration.py makes it the alert
source kind "grafana" (POST /api/v1/alerts/grafana, authenticated by the
source's bearer token). Documentation: docs/integrations.md#grafana.
"""

from __future__ import annotations

from hotwash.alerts.sources import sources
from hotwash.integrations.grafana.integration import Grafana


def register() -> None:
    sources.register(Grafana())

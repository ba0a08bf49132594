"""Hotwash's generic JSON format: alerts from anything that can post JSON.

parser.py reads (and documents) the format; integration.py makes it the
alert source kind "generic" (POST /api/v1/alerts/generic, authenticated by
the source's bearer token). Documentation:
docs/integrations.md#generic-json.
"""

from __future__ import annotations

from hotwash.alerts.sources import sources
from hotwash.integrations.generic.integration import Generic


def register() -> None:
    sources.register(Generic())

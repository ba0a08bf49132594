"""`hotwash show INC-42`: an incident's details and its latest timeline entries."""

from __future__ import annotations

import math
from typing import Any

from django.core.management.base import CommandParser

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand, incident_path
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import _render

# The API's largest page.
MAX_PER_PAGE = 200


class Command(ClientCommand):
    summary = (
        "Show an incident: its fields, times and roles, and its latest timeline entries. "
        "With --json: the incident and its latest entries as the API sends them, in "
        '{"incident": {...}, "timeline": [...]}.'
    )

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ref", metavar="INCIDENT", help="INC-42 or 42.")
        parser.add_argument(
            "--entries", type=int, default=10, help="How many timeline entries (default 10)."
        )

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        incident = api.get(incident_path(options["ref"]))
        return {"incident": incident, "timeline": _latest_entries(api, options)}

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.incident_detail(result["incident"], result["timeline"], clock)


def _latest_entries(api: ApiClient, options: dict[str, Any]) -> list[Any]:
    """The last `--entries` entries of a timeline the API pages oldest first:
    the first page tells the count, the last two pages hold the latest."""
    wanted = min(max(options["entries"], 1), MAX_PER_PAGE)
    path = incident_path(options["ref"], "timeline")
    first = api.get(path, {"per_page": wanted})
    count = int(first.get("count") or 0)
    if count <= wanted:
        return list(first.get("items") or [])
    last_page = math.ceil(count / wanted)
    entries: list[Any] = []
    for page in (last_page - 1, last_page):
        entries += api.get(path, {"per_page": wanted, "page": page}).get("items") or []
    return entries[-wanted:]

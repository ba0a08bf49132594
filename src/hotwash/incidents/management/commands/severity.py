"""`hotwash severity INC-42 1`: change an incident's severity."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand, incident_path
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import _render


class Command(ClientCommand):
    shows_times = False
    summary = "Change an incident's severity; the change goes on its timeline."

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ref", metavar="INCIDENT", help="INC-42 or 42.")
        parser.add_argument("severity", help="1 to 4 (or SEV1..SEV4; SEV1 is the most severe).")

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        return api.patch(incident_path(options["ref"]), {"severity": options["severity"]})

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.severity_changed(result)

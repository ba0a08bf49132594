"""`hotwash catchup INC-42`: where an incident stands, for someone joining now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand, incident_path
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import _render


class Command(ClientCommand):
    summary = (
        "Catch up on an incident: status, severity, impact, who holds each role, key moments, "
        "the latest updates and open tasks."
    )

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ref", metavar="INCIDENT", help="INC-42 or 42.")

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        return api.get(incident_path(options["ref"], "catchup"))

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.catchup(result, clock)

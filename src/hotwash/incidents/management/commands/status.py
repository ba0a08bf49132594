"""`hotwash status INC-42 monitoring`: move an incident to another status."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand, incident_path
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import _render
from hotwash.incidents.models import Status


class Command(ClientCommand):
    shows_times = False
    summary = "Change an incident's status; the change goes on its timeline."

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ref", metavar="INCIDENT", help="INC-42 or 42.")
        parser.add_argument("status", help=f"One of: {', '.join(Status.values)}.")

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        return api.patch(incident_path(options["ref"]), {"status": options["status"]})

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.status_changed(result)

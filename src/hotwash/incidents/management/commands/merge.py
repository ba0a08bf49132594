"""`hotwash merge INC-43 --into INC-41`: merge a duplicate into another incident."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand, incident_path
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import _render


class Command(ClientCommand):
    shows_times = False
    summary = (
        "Merge a duplicate incident into another: its timeline, tasks, participants, links, "
        "alert groups and action items move; the duplicate closes and points to the survivor."
    )

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ref", metavar="DUPLICATE", help="The duplicate: INC-43 or 43.")
        parser.add_argument(
            "--into", required=True, metavar="INCIDENT", help="The incident that stays: INC-41."
        )

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        return api.post(incident_path(options["ref"], "merge"), {"into": options["into"]})

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.merged(_render.normalise_ref(options["ref"]), result)

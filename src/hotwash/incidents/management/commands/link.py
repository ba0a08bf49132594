"""`hotwash link INC-43 INC-41 [--kind caused_by]`: link two incidents."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand, incident_path
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import _render


class Command(ClientCommand):
    shows_times = False
    summary = "Link two incidents; both get a timeline entry."

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ref", metavar="INCIDENT", help="INC-43 or 43.")
        parser.add_argument("to", metavar="OTHER", help="The incident it is linked to: INC-41.")
        parser.add_argument(
            "--kind",
            choices=["related", "caused_by"],
            default="related",
            help="related (default), or caused_by: INCIDENT was caused by OTHER.",
        )

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        return api.post(
            incident_path(options["ref"], "links"), {"to": options["to"], "kind": options["kind"]}
        )

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.linked(_render.normalise_ref(options["ref"]), result)

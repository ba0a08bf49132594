"""`hotwash role INC-42 commander amira`: assign or hand over a role."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand, incident_path
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import _render
from hotwash.incidents.models import IncidentRole


class Command(ClientCommand):
    shows_times = False
    summary = (
        "Give an incident role to someone; the previous holder hands over in the same step. "
        "Leave USERNAME out (with --vacate) to leave the role vacant."
    )

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ref", metavar="INCIDENT", help="INC-42 or 42.")
        parser.add_argument("role", help=f"One of: {', '.join(IncidentRole.values)}.")
        holder = parser.add_mutually_exclusive_group(required=True)
        holder.add_argument("username", nargs="?", help="Who takes the role.")
        holder.add_argument("--vacate", action="store_true", help="Leave the role vacant.")

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        path = incident_path(options["ref"], "roles", options["role"].strip().lower())
        return api.put(path, {"user": None if options["vacate"] else options["username"]})

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.role_changed(_render.normalise_ref(options["ref"]), result)

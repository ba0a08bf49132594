"""`hotwash list`: incidents as a table, newest first."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand, fetch_list
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import _render


class Command(ClientCommand):
    summary = (
        "List incidents you can see, newest first, with filters. With --json and a --limit "
        "above one page, the pages' items are joined into one answer."
    )

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            help="triage, investigating, identified, monitoring, resolved, closed, "
            "or open (any of the first four); repeat for several.",
        )
        parser.add_argument(
            "--severity", action="append", default=[], help="1 to 4; repeat for several."
        )
        parser.add_argument("--service", help="Only incidents affecting this service.")
        parser.add_argument("--q", help="Text in the title.")
        parser.add_argument(
            "--type",
            action="append",
            default=[],
            help="An incident type's key, e.g. privacy-breach; repeat for several.",
        )
        parser.add_argument(
            "--field",
            action="append",
            default=[],
            metavar="KEY:VALUE",
            help="A custom field's value, e.g. people_affected:120 (exact); repeat for several.",
        )
        parser.add_argument(
            "--team", help="Only incidents affecting a service this team owns (its short name)."
        )
        parser.add_argument(
            "--trigger",
            action="append",
            default=[],
            help="Opened by this trigger policy (its key), or none: declared by a person; "
            "repeat for several.",
        )
        parser.add_argument(
            "--detection",
            action="append",
            default=[],
            help="alert, customer, staff, monitoring-gap, or none (not recorded); "
            "repeat for several.",
        )
        parser.add_argument(
            "--merged",
            choices=["yes", "no"],
            help="no: without the duplicates merged into another incident; yes: only them.",
        )
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="Declared on or after.")
        parser.add_argument("--until", metavar="YYYY-MM-DD", help="Declared on or before.")
        parser.add_argument("--sort", help="-declared (default), declared, severity or -updated.")
        parser.add_argument(
            "--limit", type=int, default=20, help="How many incidents to show (default 20)."
        )

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        params: dict[str, Any] = {}
        for name in (
            "status",
            "severity",
            "service",
            "q",
            "since",
            "until",
            "sort",
            "type",
            "field",
            "team",
            "trigger",
            "detection",
            "merged",
        ):
            if options[name]:
                params[name] = options[name]
        return fetch_list(api, "/incidents", params, options["limit"])

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.incident_list(result, result["items"], clock)

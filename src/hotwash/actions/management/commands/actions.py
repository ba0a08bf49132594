"""`hotwash actions`: action items as a table, soonest due first."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from hotwash.actions.management.commands import _render
from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand, fetch_list
from hotwash.core.client_render import Clock


class Command(ClientCommand):
    shows_times = False
    summary = (
        "List action items you can see, soonest due first: --mine for your own, --overdue for "
        "those past their due date, --team, --owner, --status, --incident or --postmortem to "
        "narrow the list. Without --status or --overdue, only items still to do are shown."
    )

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mine", action="store_true", help="Only your own items.")
        parser.add_argument(
            "--overdue", action="store_true", help="Only items still to do and past due."
        )
        parser.add_argument("--team", help="Only this team's items (its short name).")
        parser.add_argument("--owner", help="Only items owned by this username.")
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            help="active (default: open or in progress), open, in_progress, done, wont_do; "
            "repeat for several.",
        )
        parser.add_argument("--incident", help="Only items of this incident (INC-42).")
        parser.add_argument("--postmortem", help="Only items of this postmortem (PM-3).")
        parser.add_argument(
            "--limit", type=int, default=50, help="How many items to show (default 50)."
        )

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        params: dict[str, Any] = {}
        for name in ("team", "owner", "incident", "postmortem"):
            if options[name]:
                params[name] = options[name]
        if options["mine"]:
            params["mine"] = "true"
        if options["overdue"]:
            params["overdue"] = "true"
        params["status"] = options["status"] or ["active"]
        return fetch_list(api, "/action-items", params, options["limit"])

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.item_list(result, result["items"])

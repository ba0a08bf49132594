"""`hotwash action VERB ...`: one action item.

hotwash action show AI-7
hotwash action done AI-7
hotwash action start AI-7          (in progress)
hotwash action reopen AI-7
hotwash action wontdo AI-7 --reason "Service retired."
hotwash action create "Alert on error rate" --owner amira --incident INC-42 [--due 2026-12-01]
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from hotwash.actions.management.commands import _render
from hotwash.client import ApiClient, ClientConfig, ClientError
from hotwash.core.client_command import ClientCommand
from hotwash.core.client_render import Clock

STATUS_VERBS = {"done": "done", "start": "in_progress", "reopen": "open", "wontdo": "wont_do"}
VERBS = ("show", *STATUS_VERBS, "create")


def item_path(ref: str) -> str:
    # Quoted so a mistyped reference cannot reach another endpoint.
    return "/action-items/" + quote(ref.strip(), safe="")


class Command(ClientCommand):
    shows_times = False
    summary = (
        "Work on one action item: show ID, done ID, start ID (in progress), reopen ID, "
        'wontdo ID --reason "...", or create "title" --owner USERNAME --incident INC-42 '
        "(or --postmortem PM-3) [--due YYYY-MM-DD] [--priority P] [--kind K] [--team T]. "
        "The item's owner can change its status; responders and admins can do everything."
    )

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", choices=VERBS, help="What to do: " + ", ".join(VERBS) + ".")
        parser.add_argument(
            "target", help="The item (AI-7 or 7); for create, the new item's title."
        )
        parser.add_argument("--reason", help="Why it will not be done (wontdo).")
        parser.add_argument("--owner", help="create: username of the owner.")
        parser.add_argument("--incident", help="create: the incident (INC-42).")
        parser.add_argument("--postmortem", help="create: the postmortem (PM-3).")
        parser.add_argument("--due", metavar="YYYY-MM-DD", help="create: the due date.")
        parser.add_argument("--priority", help="create: low, medium, high or urgent.")
        parser.add_argument("--kind", help="create: detect, mitigate, prevent or process.")
        parser.add_argument("--team", help="create: the owning team (short name).")
        parser.add_argument("--description", help="create: details.")

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        verb = options["verb"]
        if verb == "show":
            return api.get(item_path(options["target"]))
        if verb == "create":
            return api.post("/action-items", self._creation(options))
        body: dict[str, Any] = {"status": STATUS_VERBS[verb]}
        if verb == "wontdo":
            if not options["reason"]:
                raise ClientError(_('Say why it will not be done: --reason "..."'), field="reason")
            body["reason"] = options["reason"]
        return api.patch(item_path(options["target"]), body)

    def _creation(self, options: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"title": options["target"], "owner": options["owner"] or ""}
        for name in ("incident", "postmortem", "due", "priority", "kind", "team", "description"):
            if options[name]:
                body[name] = options[name]
        return body

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        if options["verb"] == "show":
            return _render.item_detail(result)
        if options["verb"] == "create":
            return _render.item_created(result, config.url)
        return _render.item_changed(result)

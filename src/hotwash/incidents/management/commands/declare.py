"""`hotwash declare "title"`: declare an incident through the API."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import _render
from hotwash.incidents.models import DetectionSource


class Command(ClientCommand):
    shows_times = False
    summary = (
        "Declare an incident: only the title is needed. Prints its reference and page address."
    )

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("title", help='What is wrong, e.g. "Checkout fails for all users".')
        parser.add_argument("--severity", help="1 to 4 (or SEV1..SEV4; SEV1 is the most severe).")
        parser.add_argument(
            "--service",
            dest="services",
            action="append",
            default=[],
            metavar="NAME",
            help="A service affected; repeat for several.",
        )
        parser.add_argument(
            "--private",
            action="store_true",
            help="Visible only to participants and admins (security, personnel).",
        )
        parser.add_argument("--summary", default="", help="What is known so far.")
        parser.add_argument(
            "--detection",
            choices=DetectionSource.values,
            help="How it was detected. Left out, it is not recorded: the incident page asks.",
        )

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        body: dict[str, Any] = {"title": options["title"]}
        if options["severity"]:
            body["severity"] = options["severity"]
        if options["services"]:
            body["services"] = options["services"]
        if options["private"]:
            body["private"] = True
        if options["summary"]:
            body["summary"] = options["summary"]
        if options["detection"]:
            body["detection_source"] = options["detection"]
        return api.post("/incidents", body)

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.declared(result, config.url)

"""`hotwash declare "title"`: declare an incident through the API."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import _render
from hotwash.incidents.models import DetectionSource


def field_value(text: str) -> tuple[str, str]:
    """`--field key=value`: the API checks the key and the value."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(
            _("write a field as key=value, e.g. people_affected=120 (got %(text)s)")
            % {"text": text}
        )
    return key.strip(), value


class Command(ClientCommand):
    shows_times = False
    summary = (
        "Declare an incident: only the title is needed. Prints its reference and page address. "
        "--type chooses the incident type (GET /api/v1/incident-types lists them and their "
        "fields); --field key=value gives one of its fields."
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
            "--type",
            metavar="TYPE",
            help="The incident type's key, e.g. outage (the default), security, "
            "privacy-breach or near-miss. It presets severity and privacy.",
        )
        parser.add_argument(
            "--field",
            dest="fields",
            action="append",
            default=[],
            type=field_value,
            metavar="KEY=VALUE",
            help="A custom field of the type, e.g. people_affected=120; repeat for several.",
        )
        privacy = parser.add_mutually_exclusive_group()
        privacy.add_argument(
            "--private",
            action="store_true",
            default=None,
            help="Visible only to participants and admins (security, personnel). "
            "Left out: as the type says.",
        )
        privacy.add_argument(
            "--public",
            dest="private",
            action="store_false",
            help="Not private, even for a type that is private by default.",
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
        if options["private"] is not None:
            body["private"] = options["private"]
        if options["type"]:
            body["type"] = options["type"]
        if options["fields"]:
            body["fields"] = dict(options["fields"])
        if options["summary"]:
            body["summary"] = options["summary"]
        if options["detection"]:
            body["detection_source"] = options["detection"]
        return api.post("/incidents", body)

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.declared(result, config.url)

"""`hotwash note INC-42 "text"`: add a note or decision to a timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from hotwash.client import ApiClient, ClientConfig, ClientError
from hotwash.core.client_command import ClientCommand, incident_path
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import _render


class Command(ClientCommand):
    summary = "Add a note (or a decision) to an incident's timeline, now or back-dated."

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ref", metavar="INCIDENT", help="INC-42 or 42.")
        parser.add_argument("text", help="What happened, was tried or was decided.")
        parser.add_argument("--decision", action="store_true", help="Record it as a decision.")
        parser.add_argument(
            "--key", action="store_true", help="Mark it as a key moment (shown in catch-up)."
        )
        parser.add_argument(
            "--at",
            metavar="ISO8601",
            help="When it happened, with its zone, e.g. 2026-11-26T03:12:00+01:00 (default: now).",
        )

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        body: dict[str, Any] = {
            "body": options["text"],
            "kind": "decision" if options["decision"] else "note",
            "key_moment": options["key"],
        }
        if options["at"]:
            body["occurred_at"] = _checked_time(options["at"])
        return api.post(incident_path(options["ref"], "timeline"), body)

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return _render.noted(_render.normalise_ref(options["ref"]), result, clock)


def _checked_time(value: str) -> str:
    """Refuse unreadable or zone-less times here, with the option's name;
    the server would refuse them too, but could not say which option."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ClientError(
            _("--at %(value)s is not a time; use ISO 8601, e.g. 2026-11-26T03:12:00+01:00.")
            % {"value": value}
        ) from None
    if parsed.tzinfo is None:
        raise ClientError(
            _("Give --at with its time zone, e.g. 2026-11-26T03:12:00+01:00 or ...Z for UTC.")
        )
    return parsed.isoformat()

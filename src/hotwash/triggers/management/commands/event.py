"""`hotwash event rollback --service shop`: record a change through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from hotwash.client import ApiClient, ClientConfig, ClientError
from hotwash.core.client_command import ClientCommand
from hotwash.core.client_render import Clock


class Command(ClientCommand):
    shows_times = False
    summary = (
        "Record a deploy, a rollback or a traffic reroute of a service. A rollback or a "
        "reroute is an on-call intervention: the trigger policy may open an incident for it, "
        "or propose one. Prints what happened."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # --version here is the version deployed, not Django's own --version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "kind", choices=["deploy", "rollback", "reroute"], help="What kind of change."
        )
        parser.add_argument("--service", required=True, help="The service that changed.")
        parser.add_argument(
            "--version",
            dest="change_version",
            default="",
            metavar="VERSION",
            help="The version now running.",
        )
        parser.add_argument("--description", default="", help="What was done and why.")
        parser.add_argument(
            "--url", default="", help="A link to the change (pipeline, pull request)."
        )
        parser.add_argument(
            "--at",
            default="",
            help="When it happened, with its zone, e.g. 2026-11-26T03:20:00+00:00 (default: now).",
        )

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        body: dict[str, Any] = {"service": options["service"], "kind": options["kind"]}
        for option, field in (
            ("change_version", "version"),
            ("description", "description"),
            ("url", "url"),
        ):
            if options[option]:
                body[field] = options[option]
        if options["at"]:
            try:
                when = datetime.fromisoformat(options["at"])
            except ValueError:
                raise ClientError(
                    _("--at %(value)s is not a time; use e.g. 2026-11-26T03:20:00+00:00.")
                    % {"value": options["at"]}
                ) from None
            if when.tzinfo is None:
                raise ClientError(
                    _("--at needs a time zone, e.g. 2026-11-26T03:20:00+00:00 or ...Z.")
                )
            body["at"] = when.isoformat()
        return api.post("/events/deploy", body)

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        return changed(result)


def changed(result: Any) -> str:
    kind = str(result.get("kind", ""))
    values = {"service": result.get("service", ""), "id": result.get("id", "")}
    if kind == "rollback":
        lines = [_("Recorded the rollback of %(service)s (change %(id)s).") % values]
    elif kind == "reroute":
        lines = [_("Recorded the traffic reroute for %(service)s (change %(id)s).") % values]
    else:
        lines = [_("Recorded the deploy of %(service)s (change %(id)s).") % values]
    firings = result.get("firings") or []
    actions = {f.get("action") for f in firings}
    incident = result.get("incident")
    if incident and "declared" in actions:
        lines.append(_("A trigger policy declared %(ref)s for it:") % {"ref": incident})
        lines.append(str(result.get("incident_url") or ""))
    elif incident:
        lines.append(_("It is part of %(ref)s, already open:") % {"ref": incident})
        lines.append(str(result.get("incident_url") or ""))
    elif result.get("proposal"):
        lines.append(_("A trigger policy proposes an incident for it; accept or dismiss it here:"))
        lines.append(str(result.get("proposal_url") or ""))
    elif "notified" in actions:
        lines.append(_("A trigger policy notified people about it."))
    others = [ref for ref in result.get("written_on") or [] if ref != incident]
    if others:
        lines.append(_("Also written on the timeline of %(refs)s.") % {"refs": ", ".join(others)})
    return "\n".join(lines) + "\n"

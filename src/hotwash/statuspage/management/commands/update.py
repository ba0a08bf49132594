"""`hotwash update INC-42 --public --status identified --en "..." --fr "..."`:
publish a stakeholder update (internal unless --public)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.choices import choice_label
from hotwash.core.client_command import ClientCommand, incident_path
from hotwash.core.client_render import Clock, parse_time
from hotwash.statuspage.models import PublicStatus


class Command(ClientCommand):
    summary = (
        "Publish a stakeholder update on an incident, in English and French: internal by "
        "default (people following the incident), --public for the status page (both "
        "languages needed). Findings of the blameless-language check are printed."
    )

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ref", metavar="INCIDENT", help="INC-42 or 42.")
        parser.add_argument(
            "--public",
            action="store_true",
            help="Publish on the status page and to its subscribers (default: internal).",
        )
        parser.add_argument(
            "--status",
            required=True,
            help=f"What readers are told: one of {', '.join(PublicStatus.values)}.",
        )
        parser.add_argument("--en", default="", metavar="TEXT", help="The English text.")
        parser.add_argument("--fr", default="", metavar="TEXT", help="The French text.")

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        return api.post(
            incident_path(options["ref"], "updates"),
            {
                "audience": "public" if options["public"] else "internal",
                "status": options["status"],
                "text": {"en": options["en"], "fr": options["fr"]},
            },
        )

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        when = parse_time(result.get("published_at"))
        values = {
            "ref": result.get("incident", "?"),
            "status": choice_label(PublicStatus, result.get("status")),
            "time": clock.time(when) if when else "?",
        }
        if result.get("audience") == "public":
            lines = [_("Published a public update on %(ref)s (%(status)s) at %(time)s.") % values]
        else:
            lines = [
                _("Published an internal update on %(ref)s (%(status)s) at %(time)s.") % values
            ]
        findings = result.get("findings") or {}
        flagged = [
            (language, finding)
            for language in ("en", "fr")
            for finding in findings.get(language) or []
        ]
        if flagged:
            lines.append(
                _(
                    "The blameless-language check flagged this wording; if it reads as "
                    "blame, publish a corrected update:"
                )
            )
            for language, finding in flagged:
                lines.append(
                    f'  ({language.upper()}) "{finding.get("excerpt", "")}": '
                    f"{finding.get('message', '')} "
                    + _("Suggestion:")
                    + f" {finding.get('suggestion', '')}"
                )
        return "\n".join(lines) + "\n"

"""`hotwash search "text"`: what you may see whose words match, best first."""

from __future__ import annotations

import html
from typing import Any

from django.core.management.base import CommandParser
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from hotwash.client import ApiClient, ClientConfig
from hotwash.core.client_command import ClientCommand, fetch_list
from hotwash.core.client_render import Clock


class Command(ClientCommand):
    summary = (
        "Search incidents (with their timelines), postmortems (both languages), action items "
        "and alert groups you can see, in English or French, best match first; prints each "
        "result's reference, title and the text around the words found."
    )
    shows_times = False

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="+", help="The words to find.")
        parser.add_argument(
            "--kind",
            action="append",
            default=[],
            help="incident, postmortem, action_item or alert_group; repeat for several.",
        )
        parser.add_argument("--type", action="append", default=[], help="An incident type key.")
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="Happened on or after.")
        parser.add_argument("--until", metavar="YYYY-MM-DD", help="Happened on or before.")
        parser.add_argument(
            "--limit", type=int, default=10, help="How many results to show (default 10)."
        )

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        params: dict[str, Any] = {"q": " ".join(options["text"])}
        for name in ("kind", "type", "since", "until"):
            if options[name]:
                params[name] = options[name]
        return fetch_list(api, "/search", params, options["limit"])

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        items = result["items"]
        if not items:
            return _("Nothing you may see matches.")
        lines = []
        for item in items:
            incident = item.get("incident")
            belongs = f" ({incident})" if incident and incident != item["ref"] else ""
            lines.append(f"{item['ref']}{belongs}  {item['title']}")
            snippet = html.unescape(strip_tags(item.get("snippet") or "")).strip()
            if snippet:
                lines.append(f"    {snippet}")
            lines.append(f"    {item['url']}")
        shown = len(items)
        total = result.get("count", shown)
        more = "+" if not result.get("count_exact", True) else ""
        lines.append(
            _("%(shown)s of %(total)s%(more)s results.")
            % {"shown": shown, "total": total, "more": more}
        )
        return "\n".join(lines)

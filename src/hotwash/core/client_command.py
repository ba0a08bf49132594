"""The base of the client commands (declare, note, status, list, catchup, ...).

They talk to a running Hotwash server through its API and never open the
database, so they skip Django's system checks: they must work on a laptop
with nothing but HOTWASH_URL and HOTWASH_TOKEN.
"""

from __future__ import annotations

import abc
import json
import zoneinfo
from typing import Any
from urllib.parse import quote

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from hotwash.client import ApiClient, ClientConfig, ClientError, load_config
from hotwash.core.client_render import Clock

CONFIG_HELP = (
    "Talks to the server named by HOTWASH_URL with the token in HOTWASH_TOKEN "
    "(or url and token in ~/.config/hotwash/config.toml, or the file HOTWASH_CONFIG "
    "names). Times are shown in your account's time zone, or in HOTWASH_TIMEZONE (or timezone "
    "in the file) if set; "
    "messages are in HOTWASH_LANGUAGE (or language in the file), en by default."
)


class ClientCommand(BaseCommand, metaclass=abc.ABCMeta):
    """Subclasses implement `add_command_arguments`, `call` (the API calls,
    returning the JSON to print with --json) and `render` (the human text)."""

    requires_system_checks: list[str] = []
    summary = ""
    # Whether the human output shows times, so the account's zone is needed.
    shows_times = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = f"{self.summary} {CONFIG_HELP}"

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_command_arguments(parser)
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print the API's JSON answer (pretty-printed) instead of text, for scripts.",
        )

    def add_command_arguments(self, parser: CommandParser) -> None:
        """Arguments of this command besides --json."""

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = load_config()
            if config.language:
                translation.activate(config.language)
            zone = _configured_zone(config)
            with ApiClient(config) as api:
                result = self.call(api, options)
                if options["json"]:
                    self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
                    return
                if zone is None and self.shows_times:
                    zone = _account_zone(api)
        except ClientError as exc:
            raise CommandError(exc.message) from None
        clock = Clock(zone=zone)
        self.stdout.write(self.render(result, options, config=config, clock=clock))

    @abc.abstractmethod
    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        """Make the API calls; return the JSON that --json prints."""

    @abc.abstractmethod
    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        """The human-readable text for `result`."""


def _configured_zone(config: ClientConfig) -> zoneinfo.ZoneInfo | None:
    if not config.timezone:
        return None
    try:
        return zoneinfo.ZoneInfo(config.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ClientError(
            _("%(value)s is not a known time zone; use a name such as Europe/Paris.")
            % {"value": config.timezone}
        ) from None


def _account_zone(api: ApiClient) -> zoneinfo.ZoneInfo | None:
    """The zone of the token's account, so the CLI shows the same times as
    the web pages and as the sentences the API writes; if the server cannot
    say, the machine's own zone (None)."""
    try:
        return zoneinfo.ZoneInfo(str(api.get("/me")["timezone"]))
    except (ClientError, KeyError, TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None


# The API's largest page: a long list takes few requests.
PAGE_SIZE = 200


def fetch_list(api: ApiClient, path: str, params: dict[str, Any], limit: int) -> dict[str, Any]:
    """The first `limit` items of the paged API list at `path`, following its
    pages. The answer is the first page's (its count and filters) with the
    items fetched and the `next` of the last page read."""
    limit = max(limit, 1)
    query = {**params, "per_page": min(limit, PAGE_SIZE), "page": 1}
    page = api.get(path, query)
    answer = dict(page)
    items = list(page.get("items") or [])
    while len(items) < limit and page.get("next"):
        query["page"] += 1
        page = api.get(path, query)
        items += page.get("items") or []
        answer["next"] = page.get("next")
    answer["items"] = items[:limit]
    return answer


def incident_path(ref: str, *parts: str) -> str:
    """The API path of an incident (or of something under it)."""
    # Quoted so a mistyped reference cannot reach another endpoint.
    return "/".join(["/incidents", *(quote(part.strip(), safe="") for part in (ref, *parts))])

"""`hotwash createtoken USERNAME [--expires YYYY-MM-DD | --days N]`: print a
new personal API token.
`hotwash createtoken --source NAME [--kind KIND]`: print a new token for an
alert source, creating the source if there is none of that name."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotwash.accounts.services import (
    TOKEN_MAX_DAYS,
    create_api_token,
    token_expiry_after,
    token_expiry_in_days,
)
from hotwash.alerts.models import AlertSource
from hotwash.alerts.services import create_source, replace_token
from hotwash.alerts.sources import sources
from hotwash.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create a personal API token for USERNAME, or with --source a token for an alert "
        "source, and print it (and nothing else)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?")
        parser.add_argument("--name", default="", help="A label to recognise the token by.")
        parser.add_argument(
            "--expires",
            metavar="YYYY-MM-DD",
            help="The token works through this day (the person's time zone), then stops. "
            "Default: until revoked.",
        )
        parser.add_argument(
            "--days",
            type=int,
            metavar="N",
            help=f"The token stops working N days from now (1 to {TOKEN_MAX_DAYS}).",
        )
        parser.add_argument(
            "--source",
            metavar="NAME",
            help="An alert source's token instead: creates the source NAME if it does not exist "
            "(its kind is --kind, or NAME itself when NAME is a kind), otherwise replaces its "
            "token (the old one stops working).",
        )
        parser.add_argument(
            "--kind",
            choices=sources.kinds(),
            help="With --source: the kind of a new source (the endpoint it posts to).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["source"] is not None:
            if options["username"]:
                raise CommandError("Give a USERNAME or --source, not both.")
            self.stdout.write(self._source_token(options["source"], options["kind"]))
            return
        if not options["username"]:
            raise CommandError("Give the USERNAME to create a token for, or --source NAME.")
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"There is no active user named {options['username']}.") from None
        try:
            expires_at = _expiry(user, options["expires"], options["days"])
            token = create_api_token(user, name=options["name"], expires_at=expires_at)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(token)

    def _source_token(self, name: str, kind: str | None) -> str:
        source = AlertSource.objects.filter(name=name.strip()).first()
        if source is not None:
            if kind and kind != source.kind:
                raise CommandError(
                    f"The alert source {source.name} exists with kind {source.kind}, not {kind}."
                )
            return replace_token(source)
        kind = kind or (name.strip() if name.strip() in sources.kinds() else None)
        if kind is None:
            raise CommandError(
                f"There is no alert source named {name}; to create it, give its kind: "
                f"--kind {'|'.join(sources.kinds())}."
            )
        try:
            _source, token = create_source(name=name, kind=kind)
        except DomainError as error:
            raise CommandError(error.message) from None
        return token


def _expiry(user: User, expires: str | None, days: int | None) -> datetime | None:
    if expires is not None and days is not None:
        raise CommandError("Give --expires or --days, not both.")
    if days is not None:
        return token_expiry_in_days(days)
    if expires is None:
        return None
    try:
        day = date.fromisoformat(expires.strip())
    except ValueError:
        raise CommandError(f"{expires} is not a date; use YYYY-MM-DD.") from None
    return token_expiry_after(day, user)

"""`hotwash createtoken USERNAME`: print a new personal API token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotwash.accounts.services import create_api_token


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it (and nothing else)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label to recognise the token by.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"There is no active user named {options['username']}.") from None
        self.stdout.write(create_api_token(user, name=options["name"]))

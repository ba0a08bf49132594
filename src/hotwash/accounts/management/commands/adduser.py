"""`hotwash adduser USERNAME`: create an account with a Hotwash role."""

from __future__ import annotations

import sys
import zoneinfo
from typing import Any, TextIO

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import IntegrityError
from django.utils.translation import gettext as _

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user


class Command(BaseCommand):
    stealth_options = ("stdin",)  # call_command(..., stdin=...) in tests
    help = (
        "Create a user with a Hotwash role (viewer reads; responder runs incidents; admin also "
        "sees private incidents and manages accounts). Without --password-stdin the account "
        "has no password until one is set (hotwash changepassword USERNAME)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--role", default=Role.RESPONDER, help="viewer, responder (default) or admin."
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input.",
        )
        parser.add_argument(
            "--timezone", default="UTC", help="IANA time zone, e.g. Europe/Paris (default UTC)."
        )
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            help="Interface language: " + ", ".join(code for code, _name in settings.LANGUAGES),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"].strip()
        role = _clean_role(options["role"])
        zone = _clean_timezone(options["timezone"])
        language = _clean_language(options["language"])
        email = _clean_email(options["email"])
        _check_username(username)
        stdin = options.get("stdin") or sys.stdin
        password = _read_password(stdin, username) if options["password_stdin"] else None
        try:
            create_user(
                username,
                password=password,
                role=role,
                email=email,
                first_name=options["first_name"],
                last_name=options["last_name"],
                timezone_name=zone,
                language=language,
            )
        except IntegrityError:  # created by someone else since the check
            raise CommandError(_taken(username)) from None
        self.stdout.write(
            _("Created %(role)s %(username)s (time zone %(zone)s, language %(language)s).")
            % {
                "role": Role(role).label.lower(),
                "username": username,
                "zone": zone,
                "language": language,
            }
        )
        if password is None:
            self.stdout.write(
                _(
                    "%(username)s has no password yet; set one with: hotwash changepassword %(username)s"
                )
                % {"username": username}
            )


def _clean_role(value: str) -> str:
    role = value.strip().lower()
    if role not in Role.values:
        raise CommandError(
            _("Unknown role %(value)s: use viewer, responder or admin.") % {"value": value}
        )
    return role


def _clean_timezone(value: str) -> str:
    if value not in zoneinfo.available_timezones():
        raise CommandError(
            _("%(value)s is not a known time zone; use a name such as Europe/Paris.")
            % {"value": value}
        )
    return value


def _clean_language(value: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    if value not in codes:
        raise CommandError(
            _("Unknown language %(value)s: use one of %(choices)s.")
            % {"value": value, "choices": ", ".join(codes)}
        )
    return value


def _clean_email(value: str) -> str:
    email = value.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(_("%(value)s is not an email address.") % {"value": email}) from None
    return email


def _check_username(username: str) -> None:
    if not username:
        raise CommandError(_("Give a username."))
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from None
    if User.objects.filter(username=username).exists():
        raise CommandError(_taken(username))


def _taken(username: str) -> str:
    return _("There is already a user named %(username)s.") % {"username": username}


def _read_password(stdin: TextIO, username: str) -> str:
    password = stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError(_("No password on standard input."))
    try:
        validate_password(password, User(username=username))
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from None
    return password

"""`hotwash demo [--if-empty]`: load realistic demo data.

It lives in the composition root because the demo (`hotwash.demo`) plays
every domain app's services; no domain app depends on it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.demo.load import (
    DEMO_PASSWORD,
    DemoConflict,
    DemoData,
    DemoUser,
    demo_accounts,
    load_demo,
)
from hotwash.incidents.models import Incident


class Command(BaseCommand):
    help = (
        "Load demo data into an empty database: a small team (admin, amira, sam, lea, jonas, "
        f'victor; password "{DEMO_PASSWORD}") and a dozen incidents of every severity and '
        "status from the last two months, with timelines, roles and tasks. Demo data goes only "
        "into a database without incidents: otherwise the command refuses (exit status 1), or "
        "with --if-empty loads nothing and prints how to sign in to the demo accounts there "
        "are (exit status 0). Accounts that already exist are reused and keep their password. "
        "The address printed is HOTWASH_SITE_URL's. Refused when HOTWASH_PRODUCTION is on, "
        "because the demo password is public."
    )
    # `make run` migrates first (Django's checks run there) and serves after.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load nothing, successfully, if the database already has incidents (how to "
            "sign in to its demo accounts is printed all the same).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                _(
                    "Demo accounts share a published password, so demo data is refused "
                    "while HOTWASH_PRODUCTION is on."
                )
            )
        existing = Incident.objects.count()
        if existing and options["if_empty"]:
            self.stdout.write(_("The database already has incidents; demo data not loaded."))
            self._remind_sign_in()
            return
        if existing:
            raise CommandError(
                ngettext(
                    "The database already has %(count)d incident, and demo data goes only into "
                    "an empty one. Use a fresh database, e.g. DATABASE_URL=sqlite:///demo.sqlite3.",
                    "The database already has %(count)d incidents, and demo data goes only into "
                    "an empty one. Use a fresh database, e.g. DATABASE_URL=sqlite:///demo.sqlite3.",
                    existing,
                )
                % {"count": existing}
            )
        try:
            data = load_demo()
        except DemoConflict as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self._report(data))

    def _report(self, data: DemoData) -> str:
        lines = [
            ngettext(
                "Loaded demo data: %(count)d incident from the last two months.",
                "Loaded demo data: %(count)d incidents from the last two months.",
                len(data.incidents),
            )
            % {"count": len(data.incidents)},
            _("This is demo data, for trying Hotwash out; do not use these accounts for real."),
            "",
            *_sign_in_lines(
                [
                    (
                        demo,
                        _demo_password()
                        if created
                        else _("(existing account, password unchanged)"),
                    )
                    for demo, created in data.users
                ]
            ),
        ]
        return "\n".join(lines)

    def _remind_sign_in(self) -> None:
        """`make run` runs `demo --if-empty` every time: say how to sign in
        every time, not only the first."""
        accounts = [
            (
                demo,
                _demo_password() if has_demo_password else _("(password changed)"),
            )
            for demo, has_demo_password in demo_accounts()
        ]
        if accounts:
            self.stdout.write("\n".join(["", *_sign_in_lines(accounts)]))


def _demo_password() -> str:
    return _("password: %(password)s") % {"password": DEMO_PASSWORD}


def _sign_in_lines(accounts: list[tuple[DemoUser, str]]) -> list[str]:
    """Where to sign in, then one line per account: name, password, role."""
    width = max(len(demo.username) for demo, _password in accounts)
    return [
        _("Open %(url)s and log in as one of:") % {"url": settings.SITE_URL + "/"},
        *(
            f"  {demo.username.ljust(width)}  {password}  ({demo.description})"
            for demo, password in accounts
        ),
    ]

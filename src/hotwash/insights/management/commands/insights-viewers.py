"""`hotwash insights-viewers`: who may view insights and themes.

A server command (it uses the services directly), run by whoever runs the
server: its grants and revocations are audit records without an actor,
as `hotwash report-reviewers` makes them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import admins_q
from hotwash.core.errors import DomainError
from hotwash.insights import services


class Command(BaseCommand):
    help = (
        "List, grant or revoke the permission to view insights and themes. Admins always "
        "have it. Grant it to a person (USERNAME) or to a group (--group NAME, created if it "
        "does not exist; add people to it on the admin's user page)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "grant", "revoke"])
        parser.add_argument("username", nargs="?", help="The person.")
        parser.add_argument("--group", metavar="NAME", help="A group rather than a person.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list()
            return
        username = (options["username"] or "").strip()
        group_name = (options["group"] or "").strip()
        if bool(username) == bool(group_name):
            raise CommandError(_("Name the person (or, with --group, the group)."))
        group = self._group(group_name, create=action == "grant") if group_name else None
        person = self._person(username) if username else None
        change = services.grant_insights if action == "grant" else services.revoke_insights
        try:
            change(person=person, group=group, actor=None)
        except DomainError as error:
            raise CommandError(error.message) from None
        name = username or group_name
        if action == "grant":
            self.stdout.write(_("%(name)s can now view insights.") % {"name": name})
        else:
            self.stdout.write(_("%(name)s no longer views insights.") % {"name": name})

    def _person(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("There is no user named %(username)s.") % {"username": username})
        return user

    def _group(self, name: str, *, create: bool) -> Group:
        if create:
            group, _created = Group.objects.get_or_create(name=name)
            return group
        existing = Group.objects.filter(name=name).first()
        if existing is None:
            raise CommandError(_("There is no group named %(name)s.") % {"name": name})
        return existing

    def _list(self) -> None:
        permission = services.view_permission()
        people = (
            User.objects.filter(is_active=True)
            .filter(admins_q() | Q(user_permissions=permission) | Q(groups__permissions=permission))
            .distinct()
            .order_by("username")
        )
        groups = Group.objects.filter(permissions=permission).order_by("name")
        self.stdout.write(_("People who view insights:"))
        for user in people:
            self.stdout.write(f"  {user.get_username()}")
        self.stdout.write(_("Groups whose members view insights:"))
        for group in groups:
            self.stdout.write(f"  {group.name}")

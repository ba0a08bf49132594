"""The server commands that list, grant and revoke a permission admins hand
out (`hotwash report-reviewers`, `hotwash insights-viewers`): one command
shape, each app giving its permission, its services and its sentences.

They use the services directly, run by whoever runs the server: their
grants and revocations are audit records without an actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from hotwash.accounts.grants import holders
from hotwash.core.errors import DomainError

Change = Callable[..., None]


class GrantCommand(BaseCommand):
    """Subclasses name the permission and its services, and the four
    sentences (lazy translations; the first two take %(name)s)."""

    permission: Callable[[], Permission]
    grant: Change
    revoke: Change
    granted: str | Promise
    revoked: str | Promise
    people_heading: str | Promise
    groups_heading: str | Promise

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
        change = self.grant if action == "grant" else self.revoke
        try:
            change(person=person, group=group, actor=None)
        except DomainError as error:
            raise CommandError(error.message) from None
        name = username or group_name
        sentence = self.granted if action == "grant" else self.revoked
        self.stdout.write(str(sentence) % {"name": name})

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
        people, groups = holders(self.permission())
        self.stdout.write(str(self.people_heading))
        for user in people:
            self.stdout.write(f"  {user.get_username()}")
        self.stdout.write(str(self.groups_heading))
        for group in groups:
            self.stdout.write(f"  {group.name}")

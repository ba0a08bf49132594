"""Permissions an admin grants to people or to groups, beyond the roles:
reviewing near misses and concerns (hotwash.reports), viewing insights and
themes (hotwash.insights). One way to grant, revoke and list them, each
change with its audit record; the apps name the permission and the words."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import admins_q
from hotwash.core.audit import record_audit
from hotwash.core.errors import InvalidInput


def one_target(person: User | None, group: Group | None) -> User | Group:
    """The person or the group a grant names: exactly one of them."""
    if (person is None) == (group is None):
        raise InvalidInput(_("Name either a person or a group."), field="person")
    target = person if person is not None else group
    assert target is not None
    return target


def change_permission(
    permission: Permission,
    *,
    person: User | None,
    group: Group | None,
    actor: User | None,
    grant: bool,
    audit_action: str,
) -> None:
    """Grant (or revoke) `permission` to a person or a group, with the audit
    record `audit_action` naming who received or lost it. The caller checks
    that `actor` may (None: a server command, run by whoever runs the server)."""
    target = one_target(person, group)
    with transaction.atomic():
        permissions = target.user_permissions if isinstance(target, User) else target.permissions
        if grant:
            permissions.add(permission)
        else:
            permissions.remove(permission)
        key, name = (
            ("person", target.get_username())
            if isinstance(target, User)
            else ("group", target.name)
        )
        record_audit(actor=actor, action=audit_action, obj=target, changes={key: name})


def holders(permission: Permission) -> tuple[QuerySet[User], QuerySet[Group]]:
    """Who holds `permission`: active admins and people granted it (their
    own grant or a group's), by username; the groups granted it, by name."""
    people = (
        User.objects.filter(is_active=True)
        .filter(admins_q() | Q(user_permissions=permission) | Q(groups__permissions=permission))
        .distinct()
        .order_by("username")
    )
    return people, Group.objects.filter(permissions=permission).order_by("name")

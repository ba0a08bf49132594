"""Who may view insights and themes: admins grant the "view insights"
permission to a person or to a group (managers, say), with an audit record.
Admins always have it."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.utils.translation import gettext as _

from hotwash.accounts.grants import change_permission
from hotwash.accounts.permissions import is_admin
from hotwash.core.errors import PermissionDenied
from hotwash.insights.access import VIEW_PERMISSION


def view_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="insights", codename=VIEW_PERMISSION)


def _require_admin(actor: User | None) -> None:
    # None: a server command run by whoever runs the server (hotwash insights-viewers).
    if actor is not None and not is_admin(actor):
        raise PermissionDenied(_("Only admins can choose who views insights."))


def grant_insights(
    *, person: User | None = None, group: Group | None = None, actor: User | None
) -> None:
    """Let a person, or every member of a group, view insights and themes."""
    _change(person, group, actor=actor, grant=True)


def revoke_insights(
    *, person: User | None = None, group: Group | None = None, actor: User | None
) -> None:
    """The opposite of grant_insights. An admin keeps the view: the role
    includes it."""
    _change(person, group, actor=actor, grant=False)


def _change(person: User | None, group: Group | None, *, actor: User | None, grant: bool) -> None:
    _require_admin(actor)
    change_permission(
        view_permission(),
        person=person,
        group=group,
        actor=actor,
        grant=grant,
        audit_action="insights_view.granted" if grant else "insights_view.revoked",
    )

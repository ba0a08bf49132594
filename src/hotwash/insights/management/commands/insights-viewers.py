"""`hotwash insights-viewers`: who may view insights and themes (the
command's shape: hotwash.accounts.grant_command)."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.utils.translation import gettext as _

from hotwash.accounts.grant_command import Change, GrantCommand
from hotwash.insights import services


class Command(GrantCommand):
    help = (
        "List, grant or revoke the permission to view insights and themes. Admins always "
        "have it. Grant it to a person (USERNAME) or to a group (--group NAME, created if it "
        "does not exist; add people to it on the admin's user page)."
    )

    def permission(self) -> Permission:
        return services.view_permission()

    def grant(self) -> Change:
        return services.grant_insights

    def revoke(self) -> Change:
        return services.revoke_insights

    def granted(self, name: str) -> str:
        return _("%(name)s can now view insights.") % {"name": name}

    def revoked(self, name: str) -> str:
        return _("%(name)s no longer views insights.") % {"name": name}

    def people_heading(self) -> str:
        return _("People who view insights:")

    def groups_heading(self) -> str:
        return _("Groups whose members view insights:")

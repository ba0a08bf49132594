"""`hotwash insights-viewers`: who may view insights and themes (the
command's shape: hotwash.accounts.grant_command)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hotwash.accounts.grant_command import GrantCommand
from hotwash.insights import services


class Command(GrantCommand):
    help = (
        "List, grant or revoke the permission to view insights and themes. Admins always "
        "have it. Grant it to a person (USERNAME) or to a group (--group NAME, created if it "
        "does not exist; add people to it on the admin's user page)."
    )

    permission = staticmethod(services.view_permission)
    grant = staticmethod(services.grant_insights)
    revoke = staticmethod(services.revoke_insights)
    granted = _("%(name)s can now view insights.")
    revoked = _("%(name)s no longer views insights.")
    people_heading = _("People who view insights:")
    groups_heading = _("Groups whose members view insights:")

"""`hotwash report-reviewers`: who reviews near misses and concerns (the
command's shape: hotwash.accounts.grant_command)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hotwash.accounts.grant_command import GrantCommand
from hotwash.reports import services


class Command(GrantCommand):
    help = (
        "List, grant or revoke the permission to review near misses and confidential concerns. "
        "Admins always have it. Grant it to a person (USERNAME) or to a group (--group NAME, "
        "created if it does not exist; add people to it on the admin's user page)."
    )

    permission = staticmethod(services.review_permission)
    grant = staticmethod(services.grant_review)
    revoke = staticmethod(services.revoke_review)
    granted = _("%(name)s can now review reports.")
    revoked = _("%(name)s no longer reviews reports.")
    people_heading = _("People who review reports:")
    groups_heading = _("Groups whose members review reports:")

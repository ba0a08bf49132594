"""`hotwash report-reviewers`: who reviews near misses and concerns (the
command's shape: hotwash.accounts.grant_command)."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.utils.translation import gettext as _

from hotwash.accounts.grant_command import Change, GrantCommand
from hotwash.reports import services


class Command(GrantCommand):
    help = (
        "List, grant or revoke the permission to review near misses and confidential concerns. "
        "Admins always have it. Grant it to a person (USERNAME) or to a group (--group NAME, "
        "created if it does not exist; add people to it on the admin's user page)."
    )

    def permission(self) -> Permission:
        return services.review_permission()

    def grant(self) -> Change:
        return services.grant_review

    def revoke(self) -> Change:
        return services.revoke_review

    def granted(self, name: str) -> str:
        return _("%(name)s can now review reports.") % {"name": name}

    def revoked(self, name: str) -> str:
        return _("%(name)s no longer reviews reports.") % {"name": name}

    def people_heading(self) -> str:
        return _("People who review reports:")

    def groups_heading(self) -> str:
        return _("Groups whose members review reports:")

"""`hotwash insights-viewers`: list, grant and revoke, with audit records."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user
from hotwash.core.errors import PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.insights import services
from hotwash.insights.access import can_view_insights

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("insights-viewers", *args, stdout=out)
    return out.getvalue()


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cache from before


def test_it_grants_lists_and_revokes(admin_user: User) -> None:
    mina = create_user("mina", password="correct horse 42", role=Role.VIEWER)
    assert not can_view_insights(mina)
    assert run("grant", "mina") == "mina can now view insights.\n"
    assert can_view_insights(fresh(mina))
    assert run("grant", "--group", "managers") == "managers can now view insights.\n"
    assert run("list") == (
        "People who view insights:\n  ada\n  mina\nGroups whose members view insights:\n"
        "  managers\n"
    )
    assert run("revoke", "mina") == "mina no longer views insights.\n"
    assert not can_view_insights(fresh(mina))
    mina.groups.add(Group.objects.get(name="managers"))
    assert can_view_insights(fresh(mina))
    records = AuditRecord.objects.filter(action__startswith="insights_view.").order_by("id")
    assert [(r.action, r.actor_id, r.changes) for r in records] == [
        ("insights_view.granted", None, {"person": "mina"}),
        ("insights_view.granted", None, {"group": "managers"}),
        ("insights_view.revoked", None, {"person": "mina"}),
    ]


def test_unknown_names_are_refused(db: None) -> None:
    with pytest.raises(CommandError, match="no user named ghost"):
        run("grant", "ghost")
    with pytest.raises(CommandError, match="no group named ghosts"):
        run("revoke", "--group", "ghosts")
    with pytest.raises(CommandError, match="Name the person"):
        run("grant")
    assert not AuditRecord.objects.filter(action__startswith="insights_view.").exists()


def test_only_admins_grant(responder: User, other_responder: User) -> None:
    with pytest.raises(PermissionDenied):
        services.grant_insights(person=other_responder, actor=responder)
    assert not can_view_insights(fresh(other_responder))

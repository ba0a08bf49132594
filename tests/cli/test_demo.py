"""`hotwash demo [--if-empty]`: when it loads, refuses or does nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user
from hotwash.incidents.models import Incident, TimelineEvent

pytestmark = pytest.mark.django_db


def demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def loaded() -> str:
    return demo()


def test_it_reuses_existing_accounts_without_touching_their_password() -> None:
    create_user("admin", password="my own secret 42", role=Role.ADMIN)
    output = demo()
    assert User.objects.get(username="admin").check_password("my own secret 42")
    assert "password unchanged" in output


def test_it_refuses_when_a_demo_responder_exists_as_a_viewer() -> None:
    create_user("sam", role=Role.VIEWER)
    with pytest.raises(CommandError, match="sam already exists but cannot change incidents"):
        demo()
    assert not Incident.objects.exists()
    assert User.objects.count() == 1


def test_if_empty_does_nothing_the_second_time(loaded: str) -> None:
    before = (Incident.objects.count(), TimelineEvent.objects.count(), User.objects.count())
    output = demo("--if-empty")
    assert "not loaded" in output
    assert (Incident.objects.count(), TimelineEvent.objects.count(), User.objects.count()) == (
        before
    )


def test_it_refuses_a_database_that_has_incidents(loaded: str) -> None:
    count = Incident.objects.count()
    with pytest.raises(CommandError, match="already has"):
        demo()
    assert Incident.objects.count() == count


@override_settings(PRODUCTION=True)
def test_it_refuses_production_mode(db: None) -> None:
    with pytest.raises(CommandError, match="HOTWASH_PRODUCTION"):
        demo()
    assert not Incident.objects.exists()
    assert not User.objects.exists()

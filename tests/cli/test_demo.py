"""`hotwash demo [--if-empty]`: when it loads, refuses or does nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user
from hotwash.incidents.models import Incident, TimelineEvent
from hotwash.incidents.services import declare_incident

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


@override_settings(SITE_URL="http://127.0.0.1:8002")
def test_if_empty_says_how_to_sign_in_every_time(loaded: str) -> None:
    """`make run` runs `demo --if-empty` at every start: the sign-in details
    come every time, with the address the instance is served on."""
    assert "Open http://127.0.0.1:8002/ and log in as one of:" in demo("--if-empty")
    User.objects.filter(username="sam").update(password=make_password("sam's own 42"))
    User.objects.filter(username="victor").update(is_active=False)
    lines = demo("--if-empty").splitlines()
    assert lines[0] == "The database already has incidents; demo data not loaded."
    assert lines[2] == "Open http://127.0.0.1:8002/ and log in as one of:"
    accounts = {line.split()[0]: line for line in lines[3:]}
    assert set(accounts) == {"admin", "amira", "sam", "lea", "jonas"}
    assert "password: hotwash-demo" in accounts["admin"]
    assert "(password changed)" in accounts["sam"]
    assert "hotwash-demo" not in accounts["sam"]


def test_if_empty_says_nothing_more_without_demo_accounts() -> None:
    declare_incident(actor=create_user("ada", role=Role.ADMIN), title="Real incident")
    assert demo("--if-empty").splitlines() == [
        "The database already has incidents; demo data not loaded."
    ]

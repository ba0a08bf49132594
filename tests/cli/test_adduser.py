"""`hotwash adduser`: accounts with a Hotwash role, and clear refusals."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from hotwash.accounts.models import Role
from hotwash.accounts.permissions import role_of

pytestmark = pytest.mark.django_db


def adduser(*args: str, stdin: str = "") -> str:
    out = StringIO()
    call_command("adduser", *args, stdout=out, stdin=StringIO(stdin))
    return out.getvalue()


def test_it_creates_a_responder_by_default() -> None:
    output = adduser("amira")
    user = User.objects.get(username="amira")
    assert role_of(user) == Role.RESPONDER
    assert not user.has_usable_password()
    assert "Created responder amira" in output
    assert "hotwash changepassword amira" in output


def test_it_sets_role_email_time_zone_language_and_password() -> None:
    adduser(
        "lea",
        "--role",
        "admin",
        "--email",
        "lea@example.com",
        "--timezone",
        "Europe/Paris",
        "--language",
        "fr",
        "--first-name",
        "Léa",
        "--password-stdin",
        stdin="a long demo passphrase\n",
    )
    lea = User.objects.get(username="lea")
    assert role_of(lea) == Role.ADMIN
    assert lea.is_staff and lea.is_superuser
    assert (lea.email, lea.first_name) == ("lea@example.com", "Léa")
    assert (lea.profile.timezone, lea.profile.language) == ("Europe/Paris", "fr")
    assert lea.check_password("a long demo passphrase")


def test_it_refuses_an_existing_user() -> None:
    adduser("sam")
    with pytest.raises(CommandError, match="already a user named sam"):
        adduser("sam", "--role", "viewer")
    assert role_of(User.objects.get(username="sam")) == Role.RESPONDER


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "boss"), "Unknown role boss: use viewer, responder or admin."),
        (("--timezone", "Europe/Pariss"), "Europe/Pariss is not a known time zone"),
        (("--language", "de"), "Unknown language de: use one of en, fr."),
        (("--email", "not-an-address"), "not-an-address is not an email address."),
    ],
)
def test_it_refuses_bad_values_and_creates_nothing(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        adduser("victor", *args)
    assert not User.objects.exists()


def test_it_refuses_a_bad_username() -> None:
    with pytest.raises(CommandError, match="valid username"):
        adduser("no spaces please")
    assert not User.objects.exists()


@pytest.mark.parametrize("password", ["", "password", "short"])
def test_it_refuses_a_missing_or_weak_password(password: str) -> None:
    with pytest.raises(CommandError):
        adduser("victor", "--password-stdin", stdin=password + "\n")
    assert not User.objects.exists()

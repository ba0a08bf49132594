"""Sign-in throttling: after too many wrong passwords for one account from
one address, sign-in is refused for a cool-off period, on the sign-in page
and the admin's, with a message that says so; an admin can unlock."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import Settings

from hotwash.accounts.services import create_api_token
from hotwash.core.models import AuditRecord

pytestmark = pytest.mark.django_db

LOGIN = "/en/accounts/login/"
ADMIN_LOGIN = "/en/admin/login/"
PASSWORD = "correct horse 42"
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LOCKED_MESSAGE = "Too many failed sign-ins"


def _sign_in(
    client: Client, username: str, password: str, *, url: str = LOGIN, address: str = "10.0.0.1"
) -> Any:
    data = {"username": username, "password": password}
    if url == ADMIN_LOGIN:
        data["next"] = "/en/admin/"
    return client.post(url, data, REMOTE_ADDR=address)


def _fail(client: Client, username: str, times: int, **kwargs: Any) -> Any:
    response = None
    for _attempt in range(times):
        response = _sign_in(client, username, "wrong password", **kwargs)
    return response


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_ten_failures_lock_out_even_the_right_password(responder: User) -> None:
    client = Client()
    with time_machine.travel(START, tick=False):
        nine = _fail(client, "amira", 9)
        assert nine.status_code == 200
        assert LOCKED_MESSAGE not in nine.content.decode()
        tenth = _fail(client, "amira", 1)
        assert tenth.status_code == 429
        response = _sign_in(client, "amira", PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    html = response.content.decode()
    assert LOCKED_MESSAGE in html
    assert "15 minutes" in html
    assert '<html lang="en">' in html  # the site's own page, not a bare text
    assert 'name="password"' in html
    assert int(response["Retry-After"]) == 15 * 60


def test_the_message_is_translated(responder: User) -> None:
    client = Client()
    with time_machine.travel(START, tick=False):
        _fail(client, "amira", 10)
        response = client.post(
            "/fr/accounts/login/",
            {"username": "amira", "password": PASSWORD},
            REMOTE_ADDR="10.0.0.1",
        )
    assert response.status_code == 429
    assert '<html lang="fr">' in response.content.decode()


def test_after_the_cool_off_the_right_password_works(responder: User) -> None:
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        _fail(client, "amira", 10)
        clock.shift(timedelta(minutes=14))
        assert _sign_in(client, "amira", PASSWORD).status_code == 429
        # A refused attempt during the lock-out starts the cool-off again.
        clock.shift(timedelta(minutes=2))
        assert _sign_in(client, "amira", PASSWORD).status_code == 429
        assert not _signed_in(client)
        clock.shift(timedelta(minutes=15, seconds=1))
        response = _sign_in(client, "amira", PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_the_limit_and_cool_off_come_from_settings(responder: User, settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        assert _fail(client, "amira", 3).status_code == 429
        clock.shift(timedelta(minutes=2, seconds=1))
        assert _sign_in(client, "amira", PASSWORD).status_code == 302


def test_other_people_and_other_addresses_are_not_affected(
    responder: User, other_responder: User
) -> None:
    with time_machine.travel(START, tick=False):
        _fail(Client(), "amira", 10)
        same_person_elsewhere = Client()
        assert (
            _sign_in(same_person_elsewhere, "amira", PASSWORD, address="10.0.0.2").status_code
            == 302
        )
        colleague_same_address = Client()
        assert _sign_in(colleague_same_address, "sam", PASSWORD).status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(responder: User) -> None:
    with time_machine.travel(START, tick=False):
        _fail(Client(), "amira", 9)
        assert _sign_in(Client(), "amira", PASSWORD).status_code == 302
        assert _fail(Client(), "amira", 9).status_code == 200
        assert _sign_in(Client(), "amira", PASSWORD).status_code == 302


def test_the_admin_sign_in_is_throttled_too(admin_user: User) -> None:
    client = Client()
    with time_machine.travel(START, tick=False):
        _fail(client, "ada", 10, url=ADMIN_LOGIN)
        response = _sign_in(client, "ada", PASSWORD, url=ADMIN_LOGIN)
    assert response.status_code == 429
    assert LOCKED_MESSAGE in response.content.decode()
    assert not _signed_in(client)


def test_failures_on_both_pages_add_up(responder: User) -> None:
    client = Client()
    with time_machine.travel(START, tick=False):
        _fail(client, "amira", 5)
        _fail(client, "amira", 5, url=ADMIN_LOGIN)
        assert _sign_in(client, "amira", PASSWORD).status_code == 429


def test_an_admin_unlocks_a_person(responder: User, admin_user: User) -> None:
    admin_client = Client()
    admin_client.force_login(admin_user)
    with time_machine.travel(START, tick=False):
        _fail(Client(), "amira", 10)
        response = admin_client.post(
            "/en/admin/auth/user/",
            {"action": "unlock_sign_in", "_selected_action": [str(responder.pk)]},
        )
        assert response.status_code == 302
        assert _sign_in(Client(), "amira", PASSWORD).status_code == 302
    record = AuditRecord.objects.get(action="auth.unlocked")
    assert record.actor == admin_user
    assert (record.object_type, record.object_id) == ("auth.user", str(responder.pk))


def test_the_locked_out_attempts_are_listed_in_the_admin(responder: User, admin_user: User) -> None:
    admin_client = Client()
    admin_client.force_login(admin_user)
    with time_machine.travel(START, tick=False):
        _fail(Client(), "amira", 10)
        page = admin_client.get("/en/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert "amira" in page.content.decode()
    assert "wrong password" not in page.content.decode()


def test_api_tokens_are_not_passwords(responder: User) -> None:
    token = create_api_token(responder)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR="10.0.0.1")
    with time_machine.travel(START, tick=False):
        for _attempt in range(12):
            assert (
                Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer hw_wrong").status_code == 401
            )
        assert _sign_in(Client(), "amira", PASSWORD).status_code == 302
        _fail(Client(), "amira", 10)
        # A locked-out password does not stop the person's scripts.
        assert api.get("/api/v1/me").status_code == 200


def test_without_a_configured_header_the_forwarded_address_is_ignored(responder: User) -> None:
    with time_machine.travel(START, tick=False):
        for number in range(10):
            Client().post(
                LOGIN,
                {"username": "amira", "password": "wrong"},
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=f"192.0.2.{number}",
            )
        assert _sign_in(Client(), "amira", PASSWORD).status_code == 429


def test_behind_a_proxy_the_address_comes_from_the_configured_header(
    responder: User, settings: Settings
) -> None:
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    proxy = "10.9.9.9"
    with time_machine.travel(START, tick=False):
        for _attempt in range(10):
            Client().post(
                LOGIN,
                {"username": "amira", "password": "wrong"},
                REMOTE_ADDR=proxy,
                HTTP_X_FORWARDED_FOR="203.0.113.5",
            )

        def from_address(forwarded: str) -> int:
            return (
                Client()
                .post(
                    LOGIN,
                    {"username": "amira", "password": PASSWORD},
                    REMOTE_ADDR=proxy,
                    HTTP_X_FORWARDED_FOR=forwarded,
                )
                .status_code
            )

        assert from_address("203.0.113.5") == 429
        # The right-most entry is the one the proxy wrote; what a client
        # puts before it is ignored.
        assert from_address("198.51.100.7, 203.0.113.5") == 429
        assert from_address("198.51.100.7") == 302
    failure = AuditRecord.objects.filter(action="auth.login_failed").first()
    assert failure is not None
    assert failure.changes["address"] == "203.0.113.5"


def test_sign_ins_failures_lockouts_and_sign_outs_are_audited(responder: User) -> None:
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, "amira", PASSWORD)
        client.post("/en/accounts/logout/", REMOTE_ADDR="10.0.0.1")
        _sign_in(client, "nobody", "guess 1")
        _fail(client, "amira", 10)
        clock.shift(timedelta(minutes=16))
        _sign_in(client, "amira", PASSWORD)
    records = list(AuditRecord.objects.order_by("id"))
    actions = [record.action for record in records if record.action.startswith("auth.")]
    assert actions[:3] == ["auth.logged_in", "auth.logged_out", "auth.login_failed"]
    assert actions.count("auth.login_failed") == 11
    assert actions.count("auth.locked_out") == 1
    assert actions[-1] == "auth.logged_in"
    signed_in = next(record for record in records if record.action == "auth.logged_in")
    assert signed_in.actor == responder
    assert (signed_in.object_type, signed_in.object_id) == ("auth.user", str(responder.pk))
    assert signed_in.changes["address"] == "10.0.0.1"
    unknown = next(
        record
        for record in records
        if record.action == "auth.login_failed" and record.changes["username"] == "nobody"
    )
    assert unknown.actor is None
    assert (unknown.object_type, unknown.object_id) == ("auth.user", "")
    known = [r for r in records if r.action == "auth.login_failed" and r.object_id]
    assert {r.object_id for r in known} == {str(responder.pk)}
    assert all(r.actor is None for r in known)
    locked = AuditRecord.objects.get(action="auth.locked_out")
    assert locked.changes == {"username": "amira", "address": "10.0.0.1", "failures": 10}
    everything = str([(r.action, r.changes) for r in records])
    assert "wrong password" not in everything
    assert "guess 1" not in everything
    assert PASSWORD not in everything


def test_the_environment_sets_the_limit_and_cool_off(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from axes.helpers import get_cool_off; "
        "print(settings.AXES_FAILURE_LIMIT, get_cool_off(None), settings.CLIENT_IP_HEADER)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hotwash.settings",
        "HOTWASH_DATA_DIR": str(tmp_path),
        "HOTWASH_LOGIN_FAILURE_LIMIT": "4",
        "HOTWASH_LOGIN_COOLOFF_MINUTES": "30",
        "HOTWASH_CLIENT_IP_HEADER": "X-Real-IP",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["4", "0:30:00", "X-Real-IP"]
    bad = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "HOTWASH_LOGIN_FAILURE_LIMIT": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0
    assert "HOTWASH_LOGIN_FAILURE_LIMIT" in bad.stderr

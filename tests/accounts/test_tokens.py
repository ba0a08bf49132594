from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from hotwash.accounts.models import ApiToken, Role
from hotwash.accounts.services import create_api_token, revoke_api_token, user_for_token
from hotwash.core.errors import InvalidInput
from hotwash.core.models import AuditRecord

pytestmark = pytest.mark.django_db
URL = "/api/v1/me"


def test_only_a_digest_is_stored(responder: User) -> None:
    token = create_api_token(responder, name="laptop")
    stored = ApiToken.objects.get(user=responder)
    assert token not in (stored.digest, stored.prefix)
    assert user_for_token(token) == responder
    assert user_for_token(token + "x") is None


def test_a_token_revoked_after_use_stops_working_at_once(responder: User) -> None:
    token = create_api_token(responder)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(URL).status_code == 200
    revoke_api_token(ApiToken.objects.get(user=responder), actor=responder)
    assert client.get(URL).status_code == 401


def test_a_deactivated_account_loses_its_tokens_at_once(responder: User) -> None:
    token = create_api_token(responder)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(URL).status_code == 200
    responder.is_active = False
    responder.save()
    assert client.get(URL).status_code == 401


def test_a_role_change_applies_to_the_next_call(responder: User) -> None:
    token = create_api_token(responder)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (
        client.post(URL.replace("me", "incidents"), {"title": "x"}, "application/json").status_code
        == 201
    )
    responder.profile.role = Role.VIEWER
    responder.profile.save()
    response = client.post(URL.replace("me", "incidents"), {"title": "y"}, "application/json")
    assert response.status_code == 403


# --- expiry --------------------------------------------------------------------------

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
UNKNOWN = "hw_" + "x" * 43


def _me(token: str) -> Any:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(URL)


def test_a_token_works_until_it_expires_then_gets_the_unknown_tokens_401(responder: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        token = create_api_token(responder, expires_at=START + timedelta(hours=1))
        assert ApiToken.objects.get(user=responder).expires_at == START + timedelta(hours=1)
        clock.shift(timedelta(minutes=59, seconds=59))
        assert _me(token).status_code == 200
        # Remembered a moment ago, but expired now: the cache must not keep it alive.
        clock.shift(timedelta(seconds=2))
        expired = _me(token)
        unknown = _me(UNKNOWN)
    assert expired.status_code == unknown.status_code == 401
    assert expired.json() == unknown.json()


def test_a_revoked_token_gets_the_unknown_tokens_401(responder: User) -> None:
    token = create_api_token(responder)
    revoke_api_token(ApiToken.objects.get(user=responder), actor=responder)
    revoked, unknown = _me(token), _me(UNKNOWN)
    assert revoked.status_code == unknown.status_code == 401
    assert revoked.json() == unknown.json()


def test_revoking_twice_records_it_once(responder: User) -> None:
    create_api_token(responder)
    api_token = ApiToken.objects.get(user=responder)
    revoke_api_token(api_token, actor=responder)
    first = ApiToken.objects.get(pk=api_token.pk).revoked_at
    revoke_api_token(ApiToken.objects.get(pk=api_token.pk), actor=responder)
    assert ApiToken.objects.get(pk=api_token.pk).revoked_at == first
    assert AuditRecord.objects.filter(action="api_token.revoked").count() == 1


def test_a_token_cannot_be_created_already_expired(responder: User) -> None:
    with pytest.raises(InvalidInput) as refused:
        create_api_token(responder, expires_at=timezone.now() - timedelta(seconds=1))
    assert refused.value.field == "expires_at"
    assert not ApiToken.objects.exists()


def _createtoken(*args: str) -> str:
    out = StringIO()
    call_command("createtoken", *args, stdout=out)
    return out.getvalue().strip()


def test_createtoken_days(responder: User) -> None:
    with time_machine.travel(START, tick=False):
        token = _createtoken("amira", "--days", "30")
        assert _me(token).status_code == 200
    assert token.startswith("hw_") and "\n" not in token
    stored = ApiToken.objects.get(user=responder)
    assert stored.expires_at == START + timedelta(days=30)
    assert AuditRecord.objects.get(action="api_token.created").changes["expires_at"] == (
        (START + timedelta(days=30)).isoformat()
    )


def test_createtoken_expires_at_the_end_of_that_day_in_the_persons_zone(responder: User) -> None:
    responder.profile.timezone = "Europe/Paris"
    responder.profile.save()
    with time_machine.travel(START, tick=False):
        _createtoken("amira", "--expires", "2026-12-31")
    stored = ApiToken.objects.get(user=responder)
    assert stored.expires_at == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # midnight in Paris


def test_createtoken_without_expiry_never_expires(responder: User) -> None:
    _createtoken("amira")
    assert ApiToken.objects.get(user=responder).expires_at is None


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--expires", "2026-11-25"], "past"),
        (["--expires", "31/12/2026"], "YYYY-MM-DD"),
        (["--expires", "9999-12-31"], "3650"),
        (["--days", "0"], "3650"),
        (["--days", "100000"], "3650"),
        (["--days", "30", "--expires", "2026-12-31"], "not both"),
    ],
)
def test_createtoken_refuses_a_bad_expiry(responder: User, args: list[str], words: str) -> None:
    with time_machine.travel(START, tick=False), pytest.raises(CommandError) as refused:
        _createtoken("amira", *args)
    assert words in str(refused.value)
    assert not ApiToken.objects.exists()


def test_a_token_expiring_today_works_until_the_end_of_the_day(responder: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        token = _createtoken("amira", "--expires", "2026-11-26")
        clock.move_to(datetime(2026, 11, 26, 23, 59, tzinfo=UTC))
        assert _me(token).status_code == 200
        clock.move_to(datetime(2026, 11, 27, 0, 0, 1, tzinfo=UTC))
        assert _me(token).status_code == 401

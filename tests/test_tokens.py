from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hotwash.accounts.models import ApiToken, Role
from hotwash.accounts.services import create_api_token, revoke_api_token, user_for_token

pytestmark = pytest.mark.django_db
URL = "/api/v1/me"


def test_only_a_digest_is_stored(responder: Any) -> None:
    token = create_api_token(responder, name="laptop")
    stored = ApiToken.objects.get(user=responder)
    assert token not in (stored.digest, stored.prefix)
    assert user_for_token(token) == responder
    assert user_for_token(token + "x") is None


def test_a_token_revoked_after_use_stops_working_at_once(responder: Any) -> None:
    token = create_api_token(responder)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(URL).status_code == 200
    revoke_api_token(ApiToken.objects.get(user=responder), actor=responder)
    assert client.get(URL).status_code == 401


def test_a_deactivated_account_loses_its_tokens_at_once(responder: Any) -> None:
    token = create_api_token(responder)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(URL).status_code == 200
    responder.is_active = False
    responder.save()
    assert client.get(URL).status_code == 401


def test_a_role_change_applies_to_the_next_call(responder: Any) -> None:
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

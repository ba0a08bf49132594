"""Only the Bot Framework, for this bot and tenant, is heard: any other
request to /integrations/teams/messages answers 401 and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_django import Settings

from hotwash.chat.models import ChatIdentity, ChatReceipt
from hotwash.incidents.models import Incident
from hotwash.integrations.teams import auth
from tests.integrations.teams.conftest import Connector
from tests.integrations.teams.standin import BotFrameworkStandIn, new_key

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "fr"]

BAD_TOKENS: dict[str, Callable[[BotFrameworkStandIn], str]] = {
    "forged": lambda bf: bf.token(key=new_key()),
    "expired": lambda bf: bf.token(lifetime=-3600),
    "wrong audience": lambda bf: bf.token(audience="00000000-0000-0000-0000-000000000000"),
    "wrong issuer": lambda bf: bf.token(issuer="https://sts.windows.net/attacker/"),
    "other service url": lambda bf: bf.token(service_url="https://attacker.example/"),
    "unknown key": lambda bf: bf.token(key=new_key(), kid="made-up"),
    "not a jwt": lambda bf: "not.a.token",
    "unsigned": lambda bf: (
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2FwaS5ib3RmcmFtZXdvcmsuY29tIn0."
    ),
}


def nothing_changed() -> None:
    assert not Incident.objects.exists()
    assert not ChatReceipt.objects.exists()
    assert not ChatIdentity.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_a_bad_token_is_refused_and_changes_nothing(
    connector: Connector, botframework: BotFrameworkStandIn, case: str, language: str
) -> None:
    activity = connector.mention("declare Checkout fails", language=language)
    response = connector.post(activity, token=BAD_TOKENS[case](botframework))
    assert response.status_code == 401
    nothing_changed()
    assert botframework.connector_posts() == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_another_tenant_is_refused(
    connector: Connector, botframework: BotFrameworkStandIn, language: str
) -> None:
    activity = connector.mention(
        "declare Checkout fails", language=language, tenant="11111111-2222-3333-4444-555555555555"
    )
    assert connector.post(activity).status_code == 401
    nothing_changed()


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_authorization_header_is_refused(connector: Connector, language: str) -> None:
    response = connector.client.post(
        "/integrations/teams/messages",
        data=connector.mention("declare Checkout fails", language=language),
        content_type="application/json",
    )
    assert response.status_code == 401
    nothing_changed()


def test_a_bot_without_an_app_id_hears_nothing(connector: Connector, settings: Settings) -> None:
    settings.TEAMS_APP_ID = ""
    assert connector.post(connector.mention("declare Checkout fails")).status_code == 401
    nothing_changed()


def test_bad_json_is_a_400(connector: Connector, botframework: BotFrameworkStandIn) -> None:
    response = connector.client.post(
        "/integrations/teams/messages",
        data=b"{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {botframework.token()}",
    )
    assert response.status_code == 400
    nothing_changed()


def test_keys_are_cached_and_a_rotated_key_is_fetched_once(
    connector: Connector, botframework: BotFrameworkStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(auth, "monotonic", lambda: clock[0])
    assert connector.post(connector.mention("help")).status_code == 200
    assert connector.post(connector.mention("help")).status_code == 200
    assert botframework.jwks_fetches() == 1

    clock[0] += auth.KEY_REFRESH_INTERVAL + 1
    botframework.rotate()  # Microsoft publishes a new key and signs with it
    assert connector.post(connector.mention("help")).status_code == 200
    assert botframework.jwks_fetches() == 2

    # Made-up key ids do not make Hotwash fetch the keys again and again.
    for _ in range(3):
        clock[0] += 1
        token = botframework.token(key=new_key(), kid="made-up-kid")
        assert connector.post(connector.mention("help"), token=token).status_code == 401
    assert botframework.jwks_fetches() == 2

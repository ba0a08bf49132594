"""The Teams bot's fixtures: a Bot Framework stand-in that Hotwash's
settings point at, and a Bot Connector that posts activities to
/integrations/teams/messages with the tokens the stand-in signs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import Settings

from hotwash.integrations.teams.auth import bot_token, signing_keys
from hotwash.jobs.worker import HotwashWorker
from tests.integrations.teams.standin import BotFrameworkStandIn

if TYPE_CHECKING:
    # Only in django-stubs: the test client's answer, with .json().
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

APP_ID = "6f4bd1c0-2e2b-4c1a-9a7e-6b1f2a3c4d5e"
PASSWORD = "client~secret.value"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CHANNEL = "19:incidents0123@thread.tacv2"
GENERAL = "19:general0123@thread.tacv2"
BOT = f"28:{APP_ID}"
AMIRA = "29:1amira"
AMIRA_AAD = "aad-amira-0001"
VICTOR = "29:1victor"
VICTOR_AAD = "aad-victor-0002"
STRANGER = "29:1stranger"
STRANGER_AAD = "aad-stranger-0003"
LOCALES = {"en": "en-US", "fr": "fr-FR"}


@pytest.fixture
def botframework(settings: Settings) -> Iterator[BotFrameworkStandIn]:
    with BotFrameworkStandIn(app_id=APP_ID, password=PASSWORD, tenant=TENANT) as standin:
        settings.TEAMS_APP_ID = APP_ID
        settings.TEAMS_APP_PASSWORD = PASSWORD
        settings.TEAMS_TENANT_ID = TENANT
        settings.TEAMS_OPENID_URL = standin.openid_url
        settings.TEAMS_TOKEN_URL = standin.token_url
        settings.TEAMS_SERVICE_URL = standin.service_url
        settings.TEAMS_INCIDENT_CHANNEL_ID = CHANNEL
        settings.TEAMS_PRIVATE_CHANNEL_ID = ""
        signing_keys.forget()
        bot_token.forget()
        yield standin
    signing_keys.forget()
    bot_token.forget()


@pytest.fixture
def people(botframework: BotFrameworkStandIn, responder: User, viewer: User) -> BotFrameworkStandIn:
    """Amira (a responder) and Victor (a viewer) are members with their
    verified addresses; a stranger is a member Hotwash has no account for."""
    responder.email = "amira@example.org"
    responder.save(update_fields=["email"])
    viewer.email = "victor@example.org"
    viewer.save(update_fields=["email"])
    botframework.add_member(AMIRA, aad_id=AMIRA_AAD, name="Amira Martin", email="Amira@example.org")
    botframework.add_member(VICTOR, aad_id=VICTOR_AAD, name="Victor", email="victor@example.org")
    botframework.add_member(
        STRANGER, aad_id=STRANGER_AAD, name="Stranger", email="nobody@example.org"
    )
    return botframework


@dataclass
class Connector:
    """The Bot Connector, posting activities to Hotwash."""

    standin: BotFrameworkStandIn
    client: Client = field(default_factory=Client)
    ids: Iterator[int] = field(default_factory=lambda: count(1700000100001))

    def activity(
        self,
        *,
        language: str = "en",
        conversation: str = GENERAL,
        sender: tuple[str, str, str] = (AMIRA, AMIRA_AAD, "Amira Martin"),
        tenant: str = TENANT,
        **fields: Any,
    ) -> dict[str, Any]:
        user_id, aad_id, name = sender
        return {
            "type": "message",
            "id": str(next(self.ids)),
            "timestamp": "2026-12-06T09:00:00.000Z",
            "serviceUrl": self.standin.service_url,
            "channelId": "msteams",
            "from": {"id": user_id, "name": name, "aadObjectId": aad_id},
            "conversation": {
                "isGroup": True,
                "conversationType": "channel",
                "tenantId": tenant,
                "id": conversation,
            },
            "recipient": {"id": BOT, "name": "Hotwash"},
            "locale": LOCALES.get(language, language),
            "channelData": {
                "teamsChannelId": conversation.split(";")[0],
                "tenant": {"id": tenant},
            },
            **fields,
        }

    def mention(self, text: str, **kwargs: Any) -> dict[str, Any]:
        """ "@Hotwash <text>" as Teams sends it."""
        return self.activity(
            text=f"<at>Hotwash</at> {text}",
            textFormat="plain",
            entities=[
                {
                    "type": "mention",
                    "mentioned": {"id": BOT, "name": "Hotwash"},
                    "text": "<at>Hotwash</at>",
                }
            ],
            **kwargs,
        )

    def post(self, activity: dict[str, Any], token: str | None = None) -> Response:
        authorization = f"Bearer {token if token is not None else self.standin.token()}"
        return self.client.post(
            "/integrations/teams/messages",
            data=json.dumps(activity),
            content_type="application/json",
            HTTP_AUTHORIZATION=authorization,
        )


@pytest.fixture
def connector(people: BotFrameworkStandIn) -> Connector:
    return Connector(people)


def drain() -> int:
    return HotwashWorker(
        worker_id="tests", queue_names=["default"], interval=0, periodic=False
    ).drain()


def replies(standin: BotFrameworkStandIn, conversation: str = GENERAL) -> list[dict[str, Any]]:
    return standin.posted(conversation)


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    [attachment] = activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content: dict[str, Any] = attachment["content"]
    assert content["type"] == "AdaptiveCard"
    return content


def card_text(card: dict[str, Any]) -> str:
    return "\n".join(str(block.get("text", "")) for block in card["body"])

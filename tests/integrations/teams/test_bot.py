"""The Teams bot end to end: activities signed by a Bot Framework stand-in
posted to /integrations/teams/messages, the worker opening threads and
posting cards to the stand-in's Bot Connector. Every scenario in English
and in French."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User

from hotwash.chat.models import ChatConversation, ChatIdentity, ChatMessageEntry
from hotwash.incidents.models import Incident, TimelineEvent
from hotwash.incidents.services import set_status
from hotwash.statuspage.models import StakeholderUpdate
from tests.integrations.teams.conftest import (
    AMIRA,
    AMIRA_AAD,
    CHANNEL,
    GENERAL,
    STRANGER,
    STRANGER_AAD,
    VICTOR,
    VICTOR_AAD,
    Connector,
    card_of,
    card_text,
    drain,
    replies,
)
from tests.integrations.teams.standin import BotFrameworkStandIn

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
LANGUAGES = ["en", "fr"]
DECLARED = {"en": "declared by", "fr": "déclaré"}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def declare(
    connector: Connector, language: str, captured: Any, title: str = "Checkout fails"
) -> tuple[Incident, ChatConversation]:
    with captured(execute=True):
        response = connector.post(connector.mention(f"declare {title}", language=language))
    assert response.status_code == 200
    drain()
    incident = Incident.objects.get(title=title)
    conversation = ChatConversation.objects.get(incident=incident, platform="teams")
    return incident, conversation


@pytest.mark.parametrize("language", LANGUAGES)
def test_declaring_from_teams_declares_and_opens_a_thread(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    responder: User,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)

    assert incident.declared_by == responder if hasattr(incident, "declared_by") else True
    # The reply, to the declaring message, in the asker's language.
    [reply] = replies(botframework)
    assert incident.ref in reply["text"]
    assert DECLARED[language] in reply["text"]
    # The thread: in the incident channel, opened by the worker.
    assert conversation.is_open
    assert conversation.conversation_id.startswith(CHANNEL + ";messageid=")
    assert conversation.service_url == botframework.service_url
    assert conversation.language == language
    [first] = botframework.posted(conversation.conversation_id)
    card = card_of(first)
    assert incident.ref in card_text(card)
    assert card["actions"][0]["url"].endswith(f"/{language}/incidents/{incident.ref}/")
    created = botframework.connector_posts("/v3/conversations")
    assert any(
        r.body.get("isGroup") and r.body["channelData"]["channel"]["id"] == CHANNEL
        for r in created
        if isinstance(r.body, dict) and "isGroup" in r.body
    )
    # Amira is linked by her verified address (Teams gave it in another case).
    assert ChatIdentity.objects.get(platform="teams", external_id=AMIRA_AAD).user == responder

"""The Teams bot end to end: activities signed by a Bot Framework stand-in
posted to /integrations/teams/messages, the worker opening threads and
posting cards to the stand-in's Bot Connector. Every scenario in English
and in French."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from pytest_django import Settings

from hotwash.chat.models import ChatConversation, ChatIdentity, ChatMessageEntry
from hotwash.incidents.models import Incident, RoleAssignment, TimelineEvent
from hotwash.incidents.services import set_status, update_incident
from hotwash.integrations.teams.activities import command_text
from hotwash.integrations.teams.channel import TeamsConversation
from hotwash.notifications.models import Delivery
from hotwash.statuspage.models import StakeholderUpdate
from tests.integrations.teams.conftest import (
    AMIRA,
    AMIRA_AAD,
    CHANNEL,
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

# The Bot Framework's side (signatures, activities, cards): the records it
# leaves are the chat app's, tested on both databases (tests/chat). Run once,
# by the SQLite suite.
pytestmark = [pytest.mark.django_db, pytest.mark.database_independent]

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


FORM_TITLES = {"en": "Declare an incident", "fr": "Déclarer un incident"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("how", ["message", "invoke"])
def test_declare_without_a_title_asks_with_a_form_and_its_submission_declares(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    language: str,
    how: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    connector.post(connector.mention("declare", language=language))
    [form] = replies(botframework)
    card = card_of(form)
    assert card_text(card).startswith(FORM_TITLES[language])
    inputs = {block.get("id") for block in card["body"]}
    assert {"title", "severity", "services", "private"} <= inputs
    submit = card["actions"][0]
    assert submit["type"] == "Action.Submit"

    values = {**submit["data"], "title": "Payments slow", "severity": "2", "private": "false"}
    with django_capture_on_commit_callbacks(execute=True):
        if how == "message":
            # Action.Submit: a message activity whose `value` is the inputs.
            response = connector.post(connector.activity(language=language, value=values))
            assert response.status_code == 200
        else:
            response = connector.post(
                connector.activity(
                    language=language,
                    type="invoke",
                    name="adaptiveCard/action",
                    value={"action": {"type": "Action.Execute", "data": values}},
                )
            )
            assert response.status_code == 200
            answer = response.json()
            assert answer["statusCode"] == 200
            assert DECLARED[language] in answer["value"]
    drain()
    incident = Incident.objects.get(title="Payments slow")
    assert incident.severity == 2
    assert ChatConversation.objects.get(incident=incident).is_open


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_change_on_the_web_is_posted_to_the_thread_as_a_card(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    responder: User,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        set_status(incident, actor=responder, status="monitoring")
    drain()
    posted = botframework.posted(conversation.conversation_id)
    card = card_of(posted[-1])
    assert {"en": "Monitoring", "fr": "surveillance"}[language] in card_text(card)
    assert posted[-1]["summary"]


UPDATE_TITLES = {"en": "Stakeholder update for", "fr": "Communication aux parties prenantes"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_update_in_the_thread_opens_the_bilingual_form_and_publishes(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)
    thread = conversation.conversation_id
    connector.post(connector.mention("update", language=language, conversation=thread))
    card = card_of(botframework.posted(thread)[-1])
    assert {"audience", "status", "text_en", "text_fr"} <= {b.get("id") for b in card["body"]}
    values = {
        **card["actions"][0]["data"],
        "audience": "internal",
        "status": "identified",
        "text_en": "We found the cause.",
        "text_fr": "Nous avons trouvé la cause.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        connector.post(connector.activity(language=language, conversation=thread, value=values))
    update = StakeholderUpdate.objects.get(incident=incident)
    assert (update.text_en, update.text_fr, update.status) == (
        "We found the cause.",
        "Nous avons trouvé la cause.",
        "identified",
    )
    reply = botframework.posted(thread)[-1]
    assert reply["text"] == {"en": "Update published.", "fr": "Communication publiée."}[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_command_in_the_thread_changes_the_incident(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)
    word = {"en": "status monitoring", "fr": "statut surveillance"}[language]
    connector.post(
        connector.mention(word, language=language, conversation=conversation.conversation_id)
    )
    incident.refresh_from_db()
    assert incident.status == "monitoring"


ADDED = {"en": "Added to the timeline.", "fr": "Ajouté à la chronologie."}


def message_action(
    connector: Connector, thread: str, language: str, command: str = "addToTimeline", **kwargs: Any
) -> dict[str, Any]:
    return connector.activity(
        language=language,
        conversation=thread,
        type="invoke",
        name="composeExtension/submitAction",
        value={
            "commandId": command,
            "commandContext": "message",
            "messagePayload": {
                "id": "1700000555555",
                "messageType": "message",
                "createdDateTime": "2026-12-06T08:41:07.123Z",
                "from": {
                    "user": {
                        "id": AMIRA_AAD,
                        "displayName": "Amira Martin",
                        "userIdentityType": "aadUser",
                    }
                },
                "body": {
                    "contentType": "html",
                    "content": "<p>Rolled back the <b>checkout</b> deploy &amp; cache flushed</p>",
                },
                "attachments": [],
                "linkToMessage": "https://teams.microsoft.com/l/message/19:x/1700000555555",
            },
            "data": {},
        },
        **kwargs,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_add_to_timeline_records_the_message_at_its_own_time_once(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    responder: User,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)
    action = message_action(connector, conversation.conversation_id, language)
    response = connector.post(action)
    assert response.status_code == 200
    assert response.json() == {"task": {"type": "message", "value": ADDED[language]}}
    entry = ChatMessageEntry.objects.get(conversation=conversation).entry
    assert entry.occurred_at == datetime(2026, 12, 6, 8, 41, 7, 123000, tzinfo=UTC)
    assert entry.body == "Rolled back the checkout deploy & cache flushed"
    assert entry.author == responder
    assert entry.data["permalink"].startswith("https://teams.microsoft.com/l/message/")
    assert entry.data["author_name"] == "Amira Martin"

    # The Bot Connector delivers the same activity again: nothing more.
    count = TimelineEvent.objects.filter(incident=incident).count()
    assert connector.post(action).status_code == 200
    assert TimelineEvent.objects.filter(incident=incident).count() == count

    # "Remove from timeline" takes it off.
    connector.post(
        message_action(connector, conversation.conversation_id, language, "removeFromTimeline")
    )
    assert not ChatMessageEntry.objects.filter(conversation=conversation).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_viewer_cannot_add_to_the_timeline_nor_declare(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    viewer: User,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)
    victor = (VICTOR, VICTOR_AAD, "Victor")
    count = TimelineEvent.objects.filter(incident=incident).count()
    response = connector.post(
        message_action(connector, conversation.conversation_id, language, sender=victor)
    )
    assert response.json()["task"]["value"] != ADDED[language]
    assert TimelineEvent.objects.filter(incident=incident).count() == count

    connector.post(connector.mention("declare Viewer's incident", language=language, sender=victor))
    assert not Incident.objects.filter(title="Viewer's incident").exists()
    assert replies(botframework)[-1]["text"]


UNKNOWN = {"en": "Hotwash does not know who you are", "fr": "Hotwash ne sait pas qui vous êtes"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_someone_without_an_account_gets_a_clear_reply(
    connector: Connector, botframework: BotFrameworkStandIn, language: str
) -> None:
    stranger = (STRANGER, STRANGER_AAD, "Stranger")
    connector.post(connector.mention("declare Anything", language=language, sender=stranger))
    assert not Incident.objects.exists()
    assert UNKNOWN[language] in replies(botframework)[-1]["text"]
    assert not ChatIdentity.objects.filter(external_id=STRANGER_AAD).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_retried_activity_declares_once(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    activity = connector.mention("declare Checkout fails", language=language)
    with django_capture_on_commit_callbacks(execute=True):
        assert connector.post(activity).status_code == 200
        assert connector.post(activity).status_code == 200
    drain()
    assert Incident.objects.count() == 1
    assert len(replies(botframework)) == 1
    assert ChatConversation.objects.get().is_open


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reply_teams_could_not_take_is_sent_later(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    language: str,
    settings: Settings,
    _clock: time_machine.Traveller,
) -> None:
    settings.TASK_RETRY_SECONDS = 1
    connector.post(connector.mention("help", language=language))  # the bot has its token
    botframework.rate_limit_next(retry_after=90)
    connector.post(connector.mention("declare Checkout fails", language=language))
    incident = Incident.objects.get()
    assert len(replies(botframework)) == 1  # the help, not the declaration's reply

    drain()  # the thread opens; the reply waits for the time Teams asked for
    assert len(replies(botframework)) == 1
    _clock.shift(timedelta(seconds=91))
    drain()
    assert incident.ref in replies(botframework)[-1]["text"]
    assert DECLARED[language] in replies(botframework)[-1]["text"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_retried_opening_opens_one_thread(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)
    [opening] = [d for d in Delivery.objects.filter(channel="teams") if d.target.get("open")]
    assert TeamsConversation().send(opening) is None  # a retry after it opened
    assert len([r for r in botframework.connector_posts() if "isGroup" in r.body]) == 1
    conversation.refresh_from_db()
    assert conversation.conversation_id.startswith(CHANNEL)


@pytest.mark.parametrize("language", LANGUAGES)
def test_role_names_the_person_by_their_mention(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    other_responder: User,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    other_responder.email = "sam@example.org"
    other_responder.save(update_fields=["email"])
    botframework.add_member("29:1sam", aad_id="aad-sam", name="Sam Lee", email="sam@example.org")
    incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)
    word = {"en": "role commander", "fr": "rôle commandant"}[language]
    activity = connector.mention(
        f"{word} <at>Sam Lee</at>", language=language, conversation=conversation.conversation_id
    )
    activity["entities"].append(
        {
            "type": "mention",
            "mentioned": {"id": "29:1sam", "name": "Sam Lee"},
            "text": "<at>Sam Lee</at>",
        }
    )
    connector.post(activity)
    assert RoleAssignment.objects.filter(
        incident=incident, role="commander", user=other_responder, ended_at__isnull=True
    ).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_public_thread_answers_nothing_about_an_incident_turned_private(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    responder: User,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)
    update_incident(incident, actor=responder, changes={"private": True, "summary": "Card data"})
    thread = conversation.conversation_id
    connector.post(connector.mention("catchup", language=language, conversation=thread))
    answer = botframework.posted(thread)[-1]["text"]
    assert {"en": "now private", "fr": "désormais privé"}[language] in answer
    assert "Card data" not in answer
    assert "Checkout fails" not in answer


PRIVATE_CHAT = {"en": "private chat", "fr": "conversation privée"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_catch_up_asked_in_a_thread_goes_to_the_askers_private_chat(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    responder: User,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    botframework.installed_for.add(AMIRA)
    incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)
    update_incident(incident, actor=responder, changes={"summary": "Card payments time out"})
    thread = conversation.conversation_id
    connector.post(connector.mention("catchup", language=language, conversation=thread))

    # The thread hears only that the answer went elsewhere.
    said = botframework.posted(thread)[-1]["text"]
    assert PRIVATE_CHAT[language] in said
    assert "Card payments time out" not in said
    # The asker's private chat with the bot has the catch-up.
    [answer] = botframework.posted(botframework.private_chats[AMIRA])
    assert incident.ref in answer["text"]
    assert "Card payments time out" in answer["text"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_catch_up_for_someone_without_the_app_points_to_the_web_not_the_thread(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    responder: User,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)
    update_incident(incident, actor=responder, changes={"summary": "Card payments time out"})
    thread = conversation.conversation_id
    connector.post(connector.mention("catchup", language=language, conversation=thread))

    said = botframework.posted(thread)[-1]["text"]
    assert f"/{language}/incidents/{incident.ref}/catchup/" in said
    assert "Card payments time out" not in said
    assert botframework.private_chats == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_private_answer_teams_could_not_take_is_sent_from_the_worker(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    responder: User,
    language: str,
    django_capture_on_commit_callbacks: Any,
    settings: Settings,
    _clock: time_machine.Traveller,
) -> None:
    settings.TASK_RETRY_SECONDS = 1
    botframework.installed_for.add(AMIRA)
    incident, conversation = declare(connector, language, django_capture_on_commit_callbacks)
    thread = conversation.conversation_id
    botframework.rate_limit_next(retry_after=30)
    connector.post(connector.mention("catchup", language=language, conversation=thread))
    assert PRIVATE_CHAT[language] in botframework.posted(thread)[-1]["text"]
    assert AMIRA not in botframework.private_chats

    _clock.shift(timedelta(seconds=31))
    drain()
    [answer] = botframework.posted(botframework.private_chats[AMIRA])
    assert incident.ref in answer["text"]


def test_command_text_drops_the_bots_mention_and_markup_but_keeps_other_mentions() -> None:
    activity = {
        "text": "<p><at>Hotwash</at> role commander <at>Sam Lee</at>&nbsp;</p>",
        "recipient": {"id": "28:bot"},
        "entities": [
            {"type": "mention", "mentioned": {"id": "28:bot"}, "text": "<at>Hotwash</at>"},
            {"type": "mention", "mentioned": {"id": "29:1sam"}, "text": "<at>Sam Lee</at>"},
        ],
    }
    assert command_text(activity) == "role commander <at>Sam Lee</at>"
    assert command_text({"text": "/incident help"}) == "help"

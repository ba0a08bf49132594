"""What chat adds to the services: a conversation's messages on the
timeline (at their own time, removed with their last mark), events handled
once, identities, and which events reach an incident's conversation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hotwash.chat import services
from hotwash.chat.models import ChatConversation, ChatMessageEntry, LinkedBy
from hotwash.chat.recipients import incident_conversations
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident, TimelineEvent
from hotwash.incidents.services import update_incident
from hotwash.notifications.events import EventType
from hotwash.notifications.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(incident: Incident) -> ChatConversation:
    conversation = services.request_conversation(incident, platform="slack", language="en")
    return services.record_opened(conversation, conversation_id="C0INC1", name="inc-1-shop-down")


def message(author: User | None, minutes_ago: int = 10) -> services.ChatMessage:
    return services.ChatMessage(
        message_id="1733456789.000100",
        text="Rolled back v2.3.1",
        posted_at=timezone.now() - timedelta(minutes=minutes_ago),
        author=author,
        author_name="Amira",
        permalink="https://example.slack.com/archives/C0INC1/p1733456789000100",
        files=[
            {"name": "graph.png", "url": "https://files.slack.com/graph.png"},
            {"name": "evil", "url": "javascript:alert(1)"},
        ],
    )


def test_a_marked_message_is_on_the_timeline_at_its_own_time(
    room: ChatConversation, responder: User, other_responder: User
) -> None:
    posted = message(responder)
    entry = services.mark_message(room, posted, mark="pin", actor=other_responder)
    assert (entry.kind, entry.body, entry.author) == ("chat", "Rolled back v2.3.1", responder)
    assert entry.occurred_at == posted.posted_at
    assert entry.key_moment  # so the catch-up and the postmortem's key moments show it
    assert entry.data["permalink"].startswith("https://example.slack.com/")
    assert entry.data["files"] == [
        {"name": "graph.png", "url": "https://files.slack.com/graph.png"}
    ]
    assert AuditRecord.objects.filter(action="chat.message_added").count() == 1


def test_it_leaves_with_its_last_mark(
    room: ChatConversation, responder: User, other_responder: User
) -> None:
    services.mark_message(room, message(responder), mark="pin", actor=responder)
    services.mark_message(room, message(responder), mark="reaction:U2", actor=other_responder)
    assert TimelineEvent.objects.filter(kind="chat").count() == 1
    assert not services.unmark_message(room, "1733456789.000100", mark="pin", actor=responder)
    assert TimelineEvent.objects.filter(kind="chat").count() == 1
    assert services.unmark_message(
        room, "1733456789.000100", mark="reaction:U2", actor=other_responder
    )
    assert not TimelineEvent.objects.filter(kind="chat").exists()
    assert not ChatMessageEntry.objects.exists()
    assert AuditRecord.objects.filter(action="chat.message_removed").count() == 1


def test_an_event_is_handled_once() -> None:
    assert services.first_time("slack", "Ev0123")
    assert not services.first_time("slack", "Ev0123")
    assert services.first_time("teams", "Ev0123")
    assert services.forget_old_receipts(now=timezone.now() + timedelta(days=2)) == 2


def test_identities(responder: User, other_responder: User) -> None:
    assert services.account_for("slack", "U1") is None
    services.link_identity("slack", "U1", responder, linked_by=LinkedBy.EMAIL)
    assert services.account_for("slack", "U1") == responder
    services.link_identity("slack", "U1", other_responder, linked_by=LinkedBy.PERSON)
    assert services.account_for("slack", "U1") == other_responder
    responder.email = other_responder.email = "shared@example.org"
    responder.save()
    other_responder.save()
    assert services.account_by_verified_email("shared@example.org") is None


def test_events_reach_the_open_conversation_and_the_declaration_opens_it(
    responder: User,
) -> None:
    incident = services.declare_from_chat(
        actor=responder, platform="slack", requested_by="U1", language="fr", title="Shop down"
    )
    declared = Event.objects.get(type=EventType.INCIDENT_DECLARED)
    [opening] = incident_conversations(declared)
    assert (opening.channel, opening.language) == ("slack", "fr")
    assert opening.target == {
        "conversation": ChatConversation.objects.get(incident=incident).pk,
        "open": True,
    }


def test_a_private_incident_reaches_only_a_private_conversation(
    room: ChatConversation, responder: User
) -> None:
    update_incident(room.incident, actor=responder, changes={"private": True})
    made_private = Event.objects.get(type=EventType.INCIDENT_MADE_PRIVATE)
    assert list(incident_conversations(made_private)) == []
    ChatConversation.objects.filter(pk=room.pk).update(private=True)
    assert len(list(incident_conversations(made_private))) == 1

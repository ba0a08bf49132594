"""The `/incident` commands every chat platform shares: they call the same
service functions as the web, answer in the asker's language, and refuse
what the asker may not do with a clear reply."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hotwash.chat import commands
from hotwash.chat.models import ChatConversation
from hotwash.chat.services import request_conversation
from hotwash.incidents.models import Incident, IncidentRole, RoleAssignment, TimelineEvent

pytestmark = pytest.mark.django_db


def ask(
    text: str,
    actor: User | None,
    conversation: ChatConversation | None = None,
    language: str = "en",
    people: dict[str, User] | None = None,
) -> commands.Reply:
    return commands.run(
        text,
        platform="slack",
        requester="U0AMIRA",
        actor=actor,
        conversation=conversation,
        resolve_person=lambda token: (people or {}).get(token),
        language=language,
        link_account_url="http://127.0.0.1:8000/en/notifications/preferences/",
    )


@pytest.fixture
def room(incident: Incident) -> ChatConversation:
    conversation = request_conversation(incident, platform="slack", language="fr")
    conversation.conversation_id = "C0INC1"
    conversation.save()
    return conversation


def test_declare_with_a_title_declares_and_requests_the_conversation(responder: User) -> None:
    reply = ask("declare Checkout fails", responder)
    incident = Incident.objects.get()
    assert reply.public and reply.opened == incident
    assert incident.title == "Checkout fails"
    assert reply.text.startswith(f"{incident.ref} declared by Amira: Checkout fails http")
    conversation = ChatConversation.objects.get(incident=incident)
    assert (conversation.platform, conversation.requested_by) == ("slack", "U0AMIRA")
    assert not conversation.is_open


def test_declare_without_a_title_asks_for_the_form(responder: User) -> None:
    assert ask("declare", responder).form == "declare"
    assert not Incident.objects.exists()


def test_someone_hotwash_does_not_know_is_told_how_to_fix_it() -> None:
    reply = ask("declare Checkout fails", None, language="fr")
    assert "Hotwash" in reply.text and "/notifications/preferences/" in reply.text
    assert not reply.public
    assert not Incident.objects.exists()


def test_a_viewer_can_change_nothing(viewer: User, room: ChatConversation) -> None:
    assert not ask("declare Checkout fails", viewer).opened
    reply = ask("status monitoring", viewer, room)
    assert reply.text and not reply.public
    assert Incident.objects.get().status == "investigating"


def test_commands_in_the_conversation_change_the_incident(
    responder: User, other_responder: User, room: ChatConversation
) -> None:
    ask("status surveillance", responder, room, language="fr")
    ask("severity sev1", responder, room)
    ask("role commander <@U0SAM>", responder, room, people={"<@U0SAM>": other_responder})
    ask("note Rolled back the deploy", responder, room)
    incident = Incident.objects.get()
    assert (incident.status, incident.severity) == ("monitoring", 1)
    holder = RoleAssignment.objects.get(role=IncidentRole.COMMANDER, ended_at__isnull=True)
    assert holder.user == other_responder
    assert TimelineEvent.objects.filter(kind="note", body="Rolled back the deploy").exists()
    ask("resolve", responder, room)
    assert Incident.objects.get().status == "resolved"


def test_catchup_is_for_the_asker_only(responder: User, room: ChatConversation) -> None:
    reply = ask("catchup", responder, room)
    assert not reply.public
    assert reply.text.startswith(f"{room.incident.ref} — Shop down")
    assert "Status: Investigating" in reply.text


def test_answers_are_in_the_askers_language(responder: User, room: ChatConversation) -> None:
    assert "Statut : En investigation" in ask("catchup", responder, room, language="fr").text
    assert ask("bogus", responder, room, language="fr").text.startswith("Commande inconnue")


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("monitoring", "monitoring"),
        ("Sous surveillance", "monitoring"),
        ("surveillance", "monitoring"),
        ("identifiée", "identified"),
        ("nonsense", "nonsense"),
    ],
)
def test_statuses_are_understood_in_both_languages(typed: str, value: str) -> None:
    assert commands.status_value(typed) == value


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("commander", "commander"),
        ("commandant", "commander"),
        ("ic", "commander"),
        ("scribe", "scribe"),
        ("comms", "communications"),
        ("lead", "lead"),
    ],
)
def test_roles_are_understood_in_both_languages(typed: str, value: str) -> None:
    assert commands.role_value(typed) == value


def test_a_bad_value_is_a_clear_reply_and_changes_nothing(
    responder: User, room: ChatConversation
) -> None:
    before = timezone.now()
    reply = ask("severity 9", responder, room)
    assert reply.text and not reply.public
    assert Incident.objects.get().severity == 2
    assert not TimelineEvent.objects.filter(recorded_at__gt=before, kind="severity").exists()


def test_incident_commands_need_an_incident_conversation(responder: User) -> None:
    reply = ask("status monitoring", responder)
    assert "/incident declare" in reply.text

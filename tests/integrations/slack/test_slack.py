"""Slack end to end: Hotwash's three endpoints receive signed requests as
Slack sends them, the worker does the slow part, and a loopback stand-in
of the Web API (standin.py) answers. Each scenario runs in English and in
French (the `language` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from hotwash.accounts.services import create_api_token
from hotwash.chat.messages import event_text, topic
from hotwash.chat.models import ChatConversation, ChatIdentity, ChatMessageEntry, ChatReceipt
from hotwash.incidents.models import Incident, Status, TimelineEvent, TimelineKind
from hotwash.incidents.services import set_status
from hotwash.notifications.events import EventType
from hotwash.notifications.models import Delivery, DeliveryStatus, Event
from hotwash.statuspage.models import StakeholderUpdate
from tests.integrations.slack.conftest import (
    People,
    Room,
    answer,
    command,
    drain,
    event,
    interact,
)
from tests.integrations.slack.standin import (
    SlackStandIn,
    pin,
    reaction,
    signed_headers,
    view_submission,
)

# Slack's side (signatures, payloads, Web API calls): the records it leaves
# are the chat app's, tested on both databases (tests/chat). Run once, by the
# PostgreSQL suite.
pytestmark = [pytest.mark.django_db, pytest.mark.database_independent(suite="postgres")]


def text_of(language: str, english: str, french: str) -> str:
    return french if language == "fr" else english


def answered_later(
    client: Client, slack: SlackStandIn, text: str, *, user: str, channel: str = "D0DIRECT"
) -> dict[str, Any]:
    """A command that changes something: acknowledged at once with an empty
    200, run by the worker, answered through the response_url."""
    before = len(slack.responses)
    response = command(client, text, user=user, channel=channel, slack=slack)
    assert response.status_code == 200 and not getattr(response, "content", b"")
    drain()
    assert len(slack.responses) == before + 1
    return slack.responses[-1]


# --- declaring from Slack ------------------------------------------------------------------


def test_declare_from_chat_opens_a_channel_with_topic_and_invitations(
    client: Client, slack: SlackStandIn, people: People, language: str
) -> None:
    response = command(client, "declare Checkout fails", user="U0AMIRA", slack=slack)
    # Acknowledged before anything is declared: that is the worker's job.
    assert response.status_code == 200 and not Incident.objects.exists()
    drain()

    incident = Incident.objects.get()
    reply = slack.responses[-1]
    assert reply["response_type"] == "in_channel"
    assert reply["text"].startswith(
        text_of(language, f"{incident.ref} declared by Amira", f"{incident.ref} déclaré par Amira")
    )

    channel = slack.channel_named(f"inc-{incident.pk}-checkout-fails")
    assert channel is not None and not channel.is_private
    assert "U0AMIRA" in channel.members
    assert channel.topic == topic(incident, language)
    declared = Event.objects.get(type=EventType.INCIDENT_DECLARED)
    assert channel.messages[-1]["text"] == event_text(declared, language).plain
    conversation = ChatConversation.objects.get(incident=incident)
    assert (conversation.conversation_id, conversation.language) == (channel.id, language)
    # Amira was found by her verified email, and is remembered.
    assert ChatIdentity.objects.get(external_id="U0AMIRA").user == people.amira


def test_a_taken_name_gets_a_number_and_a_retry_creates_nothing_twice(
    client: Client, slack: SlackStandIn, people: People, language: str, settings: Any
) -> None:
    settings.SLACK_CHANNEL_PATTERN = "Incident.{slug}"
    slack.add_channel("incident-checkout-fails")
    slack.fail_method_next("conversations.setTopic", status=503)
    command(client, "declare Checkout fails", user="U0AMIRA", slack=slack)
    drain()
    incident = Incident.objects.get()
    delivery = Delivery.objects.get(channel="slack", event__type=EventType.INCIDENT_DECLARED)
    assert delivery.status != DeliveryStatus.SENT and "503" in delivery.last_error

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)):
        drain()
    assert len(slack.called("conversations.create")) == 2  # the name, then -2: once
    opened = slack.channel_named("incident-checkout-fails-2")
    assert opened is not None and opened.topic == topic(incident, language)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_a_private_incident_gets_a_private_channel(
    client: Client, slack: SlackStandIn, people: People, language: str
) -> None:
    command(client, "declare", user="U0AMIRA", trigger=slack.trigger())
    view = slack.views[-1]
    submitted = view_submission(
        view,
        user_id="U0AMIRA",
        values={"title": "Payroll leak", "severity": "1", "private": ["private"]},
    )
    assert interact(client, submitted).status_code == 200
    drain()
    incident = Incident.objects.get()
    assert incident.private and incident.severity == 1
    channel = slack.channel_named(f"inc-{incident.pk}-payroll-leak")
    assert channel is not None and channel.is_private
    assert "U0AMIRA" in channel.members


# --- the modals -------------------------------------------------------------------------


def test_the_declare_modal_has_severities_with_their_definitions(
    client: Client, slack: SlackStandIn, people: People, language: str
) -> None:
    general = slack.add_channel("general", members=["U0AMIRA"])
    response = command(
        client, "declare", user="U0AMIRA", channel=general.id, trigger=slack.trigger()
    )
    assert response.status_code == 200 and not getattr(response, "content", b"")
    view = slack.views[-1]
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    assert {"title", "severity", "private"} <= set(blocks)
    options = blocks["severity"]["element"]["options"]
    assert [o["value"] for o in options] == ["1", "2", "3", "4"]
    assert blocks["severity"]["element"]["initial_option"]["value"] == "3"  # the default
    assert all(o["description"]["text"] for o in options)
    assert view["title"]["text"] == text_of(language, "Declare an incident", "Déclarer un incident")

    empty = view_submission(view, user_id="U0AMIRA", values={"title": " ", "severity": "2"})
    refused = answer(interact(client, empty))
    assert refused["response_action"] == "errors" and refused["errors"]["title"]
    assert not Incident.objects.exists()

    good = view_submission(
        view, user_id="U0AMIRA", values={"title": "Search slow", "severity": "3"}
    )
    assert answer(interact(client, good)) == {"response_action": "clear"}
    incident = Incident.objects.get()
    assert (incident.title, incident.severity) == ("Search slow", 3)
    drain()
    # Said where the command was typed, and the incident's own channel opened.
    assert general.messages[-1]["text"].startswith(
        text_of(language, f"{incident.ref} declared by Amira", f"{incident.ref} déclaré par Amira")
    )
    assert slack.channel_named(f"inc-{incident.pk}-search-slow") is not None


def test_the_update_modal_publishes_a_bilingual_update(
    client: Client, slack: SlackStandIn, room: Room, language: str
) -> None:
    command(client, "update", user="U0AMIRA", channel=room.channel.id, trigger=slack.trigger())
    view = slack.views[-1]
    assert [b.get("block_id") for b in view["blocks"] if b["type"] == "input"] == [
        "audience",
        "status",
        "text_en",
        "text_fr",
    ]
    submitted = view_submission(
        view,
        user_id="U0AMIRA",
        values={
            "audience": "internal",
            "status": "identified",
            "text_en": "Payments are failing.",
            "text_fr": "Les paiements échouent.",
        },
    )
    assert answer(interact(client, submitted)) == {"response_action": "clear"}
    update = StakeholderUpdate.objects.get(incident=room.incident)
    assert update.status == "identified"

    unknown_status = view_submission(
        view, user_id="U0AMIRA", values={"audience": "internal", "text_en": "x"}
    )
    refused = answer(interact(client, unknown_status))
    assert refused["response_action"] == "errors" and "status" in refused["errors"]


# --- the timeline from the conversation ----------------------------------------------------


@pytest.mark.parametrize("how", ["reaction", "pin"])
def test_a_marked_message_goes_on_the_timeline_at_its_own_time(
    client: Client, slack: SlackStandIn, room: Room, how: str
) -> None:
    posted_at = datetime(2026, 12, 6, 8, 41, 7, tzinfo=UTC)
    files = [
        {"id": "F1", "name": "graph.png", "permalink": "https://hotwash-test.slack.com/files/F1"}
    ]
    ts = slack.post(
        room.channel.id,
        "The payment provider returns 502",
        user="U0SAM",
        files=files,
        ts=f"{int(posted_at.timestamp())}.000300",
    )
    message = next(m for m in room.channel.messages if m["ts"] == ts)
    added = (
        reaction("reaction_added", user="U0AMIRA", channel=room.channel.id, ts=ts)
        if how == "reaction"
        else pin("pin_added", user="U0AMIRA", channel=room.channel.id, message=message)
    )
    assert event(client, added, event_id="Ev01ADD").status_code == 200
    drain()

    entry = TimelineEvent.objects.get(incident=room.incident, kind=TimelineKind.CHAT)
    assert entry.occurred_at == posted_at + timedelta(microseconds=300)
    assert entry.body == "The payment provider returns 502"
    assert entry.data["author_name"] == "Sam Roy"
    assert entry.data["permalink"].startswith("https://hotwash-test.slack.com/archives/")
    assert entry.data["files"] == [{"name": "graph.png", "url": files[0]["permalink"]}]
    assert entry.author is not None and entry.author.username == "sam"

    removed = {**added, "type": added["type"].replace("_added", "_removed")}
    assert event(client, removed, event_id="Ev02REMOVE").status_code == 200
    drain()
    assert not TimelineEvent.objects.filter(kind=TimelineKind.CHAT).exists()
    assert not ChatMessageEntry.objects.exists()


def test_a_thread_reply_is_read_from_its_thread(
    client: Client, slack: SlackStandIn, room: Room
) -> None:
    parent = slack.post(room.channel.id, "Looking into it", user="U0AMIRA")
    reply = slack.post(room.channel.id, "Rolled back v42", user="U0SAM", thread_ts=parent)
    event(
        client,
        reaction("reaction_added", user="U0AMIRA", channel=room.channel.id, ts=reply),
        event_id="Ev03",
    )
    drain()
    assert TimelineEvent.objects.get(kind=TimelineKind.CHAT).body == "Rolled back v42"
    assert slack.called("conversations.replies")


def test_the_timeline_page_links_to_the_message(
    client: Client, slack: SlackStandIn, room: Room, people: People, language: str
) -> None:
    ts = slack.post(room.channel.id, "Rolled back", user="U0SAM")
    event(
        client,
        reaction("reaction_added", user="U0AMIRA", channel=room.channel.id, ts=ts),
        event_id="Ev04",
    )
    drain()
    client.force_login(people.amira)
    page = client.get(f"/{language}/incidents/{room.incident.ref}/")
    content = page.content.decode()
    assert text_of(language, "View in Slack", "Voir dans Slack") in content
    assert "https://hotwash-test.slack.com/archives/" in content


def test_another_reaction_changes_nothing(client: Client, slack: SlackStandIn, room: Room) -> None:
    ts = slack.post(room.channel.id, "Lunch?", user="U0SAM")
    event(
        client,
        reaction("reaction_added", user="U0AMIRA", channel=room.channel.id, ts=ts, name="tada"),
        event_id="Ev05",
    )
    drain()
    assert not TimelineEvent.objects.filter(kind=TimelineKind.CHAT).exists()
    assert not ChatReceipt.objects.exists()


# --- every change is posted ---------------------------------------------------------------


def test_a_change_on_the_web_is_posted_in_the_channel_in_its_language(
    slack: SlackStandIn, room: Room, people: People, language: str
) -> None:
    set_status(room.incident, actor=people.amira, status=Status.MONITORING)
    drain()
    changed = Event.objects.get(type=EventType.INCIDENT_STATUS_CHANGED)
    posted = [m["text"] for m in room.channel.messages]
    assert posted[-1] == event_text(changed, language).plain
    with translation.override(language):
        assert str(Status.MONITORING.label) in room.channel.topic
    room.incident.refresh_from_db()
    assert room.channel.topic == topic(room.incident, language)


def test_a_change_through_the_api_is_posted(
    slack: SlackStandIn, room: Room, people: People, language: str
) -> None:
    token = create_api_token(people.amira, name="tests")
    response = Client().patch(
        f"/api/v1/incidents/{room.incident.ref}",
        data={"severity": 1},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.content
    drain()
    changed = Event.objects.get(type=EventType.INCIDENT_SEVERITY_CHANGED)
    assert room.channel.messages[-1]["text"] == event_text(changed, language).plain
    room.incident.refresh_from_db()
    assert room.channel.topic == topic(room.incident, language) and "SEV1" in room.channel.topic


def test_announcements_go_to_a_rules_channel_in_its_language(
    slack: SlackStandIn, people: People, language: str, settings: object, tmp_path: object
) -> None:
    from pathlib import Path

    from hotwash.incidents.services import declare_incident

    assert isinstance(tmp_path, Path)
    announcements = slack.add_channel("incidents")
    rules = tmp_path / "notifications.yaml"
    rules.write_text(
        "rules:\n"
        "  - name: announce\n"
        "    when: {events: [incident.declared]}\n"
        "    send:\n"
        f"      - slack: {{channel: '#incidents', language: {language}}}\n"
        "      - slack: {incident_channel: true}\n",
        encoding="utf-8",
    )
    settings.NOTIFICATION_POLICY_FILE = str(rules)  # type: ignore[attr-defined]
    incident = declare_incident(actor=people.amira, title="Search down", severity=2)
    drain()
    declared = Event.objects.get(type=EventType.INCIDENT_DECLARED)
    assert announcements.messages[-1]["text"] == event_text(declared, language).plain
    own = slack.channel_named(f"inc-{incident.pk}-search-down")
    assert own is not None and "U0AMIRA" in own.members


# --- signatures ---------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["secret", "stale", "missing"])
def test_a_bad_or_stale_signature_is_refused_and_changes_nothing(
    client: Client, slack: SlackStandIn, people: People, language: str, problem: str
) -> None:
    from tests.integrations.slack.standin import command_body, event_body

    body = command_body("declare Checkout fails", user_id="U0AMIRA", channel_id="D0")
    headers = {
        "secret": signed_headers(body, secret="not-the-secret"),
        "stale": signed_headers(body, timestamp=int(datetime.now(UTC).timestamp()) - 6 * 60),
        "missing": {},
    }[problem]
    response = client.post(
        "/integrations/slack/commands",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )
    assert response.status_code == 401
    body = event_body(
        reaction("reaction_added", user="U0AMIRA", channel="C0", ts="1.000001"), event_id="Ev9"
    )
    headers = {**headers}
    response = client.post(
        "/integrations/slack/events", data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert not Incident.objects.exists() and not ChatReceipt.objects.exists()
    assert not slack.calls


def test_unconfigured_slack_answers_404(client: Client, settings: object) -> None:
    settings.SLACK_SIGNING_SECRET = ""  # type: ignore[attr-defined]
    response = client.post(
        "/integrations/slack/events", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404


def test_the_url_verification_challenge(client: Client, slack: SlackStandIn) -> None:
    import json

    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    response = client.post(
        "/integrations/slack/events",
        data=body,
        content_type="application/json",
        headers=signed_headers(body),
    )
    assert answer(response) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


# --- retries ------------------------------------------------------------------------------


def test_a_retried_event_duplicates_nothing(
    client: Client, slack: SlackStandIn, room: Room
) -> None:
    ts = slack.post(room.channel.id, "DNS fixed", user="U0SAM")
    added = reaction("reaction_added", user="U0AMIRA", channel=room.channel.id, ts=ts)
    assert event(client, added, event_id="Ev06").status_code == 200
    retried = event(
        client,
        added,
        event_id="Ev06",
        **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retried.status_code == 200
    drain()
    assert TimelineEvent.objects.filter(kind=TimelineKind.CHAT).count() == 1
    assert len(slack.called("conversations.history")) == 1


@pytest.mark.parametrize("trouble", ["rate_limited", "down"])
def test_slack_rate_limiting_or_down_is_retried_visibly_and_nothing_is_lost(
    slack: SlackStandIn, room: Room, people: People, trouble: str
) -> None:
    if trouble == "rate_limited":
        slack.rate_limit_next("chat.postMessage", retry_after=120)
    else:
        slack.fail_method_next("chat.postMessage", status=503)
    set_status(room.incident, actor=people.amira, status=Status.MONITORING)
    drain()
    delivery = Delivery.objects.get(channel="slack", event__type=EventType.INCIDENT_STATUS_CHANGED)
    assert delivery.status != DeliveryStatus.SENT
    assert ("429" if trouble == "rate_limited" else "503") in delivery.last_error
    if trouble == "rate_limited":
        assert delivery.next_attempt_at is not None
        assert delivery.next_attempt_at >= datetime.now(UTC) + timedelta(seconds=100)

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)):
        drain()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    changed = Event.objects.get(type=EventType.INCIDENT_STATUS_CHANGED)
    texts = [m["text"] for m in room.channel.messages]
    assert texts.count(event_text(changed, room.conversation.language).plain) == 1


def test_slack_refusing_for_good_fails_the_delivery_at_once(
    slack: SlackStandIn, room: Room, people: People
) -> None:
    slack.fail_method_next("chat.postMessage", error="channel_not_found")
    set_status(room.incident, actor=people.amira, status=Status.MONITORING)
    drain()
    delivery = Delivery.objects.get(channel="slack", event__type=EventType.INCIDENT_STATUS_CHANGED)
    assert delivery.status == DeliveryStatus.FAILED
    assert "channel_not_found" in delivery.last_error


def test_a_wrong_token_is_refused_for_good(
    slack: SlackStandIn, room: Room, people: People, settings: object
) -> None:
    settings.SLACK_BOT_TOKEN = "xoxb-wrong"  # type: ignore[attr-defined]
    set_status(room.incident, actor=people.amira, status=Status.MONITORING)
    drain()
    delivery = Delivery.objects.get(channel="slack", event__type=EventType.INCIDENT_STATUS_CHANGED)
    assert delivery.status == DeliveryStatus.FAILED and "invalid_auth" in delivery.last_error


# --- who is who ---------------------------------------------------------------------------


def test_an_unknown_person_gets_a_clear_reply_and_a_link(
    client: Client, slack: SlackStandIn, people: People, language: str
) -> None:
    response = command(client, "declare Checkout fails", user="U0NOBODY")
    reply = answer(response)
    assert reply["response_type"] == "ephemeral"
    assert (
        text_of(language, "Hotwash does not know who you are", "Hotwash ne sait pas qui vous")
        in reply["text"]
    )
    assert not Incident.objects.exists()
    link = reply["text"].split("http://127.0.0.1:8000", 1)[1].split()[0]
    assert link.startswith(f"/{language}/chat/link/")

    browser = Client()
    browser.force_login(people.sam)
    assert browser.get(link).status_code == 200
    assert browser.post(link).status_code == 302
    identity = ChatIdentity.objects.get(external_id="U0NOBODY")
    assert (identity.user, identity.linked_by) == (people.sam, "person")
    assert browser.get(f"/{language}/chat/accounts/").status_code == 200
    browser.post(f"/{language}/chat/accounts/{identity.pk}/unlink/")
    assert not ChatIdentity.objects.filter(external_id="U0NOBODY").exists()

    assert browser.get(link[:-3] + "xyz/").status_code == 400  # forged


def test_a_viewer_is_refused(
    client: Client, slack: SlackStandIn, room: Room, language: str
) -> None:
    reply = answered_later(
        client, slack, "status monitoring", user="U0VICTOR", channel=room.channel.id
    )
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == text_of(
        language,
        "Only responders and admins can change incidents.",
        "Seuls les intervenants et les administrateurs peuvent modifier les incidents.",
    )
    room.incident.refresh_from_db()
    assert room.incident.status != Status.MONITORING
    room.channel.members.append("U0VICTOR")
    ts = slack.post(room.channel.id, "Rolled back", user="U0SAM")
    event(
        client,
        reaction("reaction_added", user="U0VICTOR", channel=room.channel.id, ts=ts),
        event_id="Ev07",
    )
    drain()
    assert not TimelineEvent.objects.filter(kind=TimelineKind.CHAT).exists()
    assert slack.ephemeral[-1] == {
        "channel": room.channel.id,
        "user": "U0VICTOR",
        "text": text_of(
            language,
            "Only responders and admins can change incidents.",
            "Seuls les intervenants et les administrateurs peuvent modifier les incidents.",
        ),
    }
    assert not slack.called("conversations.history")


def test_an_unknown_person_reacting_is_told_how_to_link(
    client: Client, slack: SlackStandIn, room: Room, language: str
) -> None:
    room.channel.members.append("U0NOBODY")
    ts = slack.post(room.channel.id, "Rolled back", user="U0SAM")
    event(
        client,
        reaction("reaction_added", user="U0NOBODY", channel=room.channel.id, ts=ts),
        event_id="Ev10",
    )
    drain()
    assert not TimelineEvent.objects.filter(kind=TimelineKind.CHAT).exists()
    told = slack.ephemeral[-1]
    assert told["user"] == "U0NOBODY"
    assert told["text"].startswith(
        text_of(language, "Hotwash does not know who you are", "Hotwash ne sait pas qui vous")
    )
    assert f"/{language}/chat/link/" in told["text"]


def test_commands_in_the_channel_and_mentions(
    client: Client, slack: SlackStandIn, room: Room, people: People, language: str
) -> None:
    reply = answered_later(
        client, slack, "role commander <@U0SAM|sam>", user="U0AMIRA", channel=room.channel.id
    )
    assert reply["text"] == text_of(language, "Role given.", "Rôle attribué.")
    drain()
    room.incident.refresh_from_db()
    assert "Sam" in room.channel.topic
    catchup = answer(command(client, "catchup", user="U0AMIRA", channel=room.channel.id))
    assert catchup["response_type"] == "ephemeral" and room.incident.ref in catchup["text"]
    answered_later(client, slack, "resolve", user="U0AMIRA", channel=room.channel.id)
    room.incident.refresh_from_db()
    assert room.incident.status == Status.RESOLVED


def test_reading_a_message_while_slack_is_down_is_retried(
    client: Client, slack: SlackStandIn, room: Room
) -> None:
    ts = slack.post(room.channel.id, "Failover done", user="U0SAM")
    slack.fail_method_next("conversations.history", status=502)
    event(
        client,
        reaction("reaction_added", user="U0AMIRA", channel=room.channel.id, ts=ts),
        event_id="Ev08",
    )
    drain()
    assert not TimelineEvent.objects.filter(kind=TimelineKind.CHAT).exists()
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)):
        drain()
    assert TimelineEvent.objects.get(kind=TimelineKind.CHAT).body == "Failover done"


def test_a_viewer_cannot_declare_through_the_modal(
    client: Client, slack: SlackStandIn, people: People, language: str
) -> None:
    command(client, "declare", user="U0VICTOR", trigger=slack.trigger())
    submitted = view_submission(
        slack.views[-1], user_id="U0VICTOR", values={"title": "Checkout fails", "severity": "2"}
    )
    refused = answer(interact(client, submitted))
    assert refused["response_action"] == "errors"
    assert list(refused["errors"].values()) == [
        text_of(
            language,
            "Only responders and admins can change incidents.",
            "Seuls les intervenants et les administrateurs peuvent modifier les incidents.",
        )
    ]
    assert not Incident.objects.exists()


def test_an_unconfirmed_slack_address_identifies_nobody(
    client: Client, slack: SlackStandIn, people: People
) -> None:
    slack.users["U0SAM"]["is_email_confirmed"] = False
    reply = answer(command(client, "catchup", user="U0SAM"))
    assert "http://127.0.0.1:8000/" in reply["text"] and "/chat/link/" in reply["text"]
    assert not ChatIdentity.objects.filter(external_id="U0SAM").exists()

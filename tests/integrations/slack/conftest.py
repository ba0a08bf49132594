"""Slack's side of the tests: the Web API stand-in, Hotwash configured to
use it, and people who are both Hotwash accounts and Slack users."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.http import HttpResponseBase
from django.test import Client
from pytest_django import Settings

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user
from hotwash.chat.models import ChatConversation
from hotwash.chat.services import record_opened, request_conversation
from hotwash.incidents.models import Incident
from hotwash.incidents.services import declare_incident
from hotwash.jobs.worker import HotwashWorker
from tests.integrations.slack.standin import (
    SIGNING_SECRET,
    Channel,
    SlackStandIn,
    command_body,
    event_body,
    interaction_body,
    signed_headers,
)

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def slack(settings: Settings) -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        settings.SLACK_API_URL = standin.api_url
        settings.SLACK_BOT_TOKEN = standin.token
        settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
        settings.SLACK_TIMEOUT = 5.0
        yield standin


@pytest.fixture(params=["en", "fr"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class People:
    amira: User
    sam: User
    victor: User


@pytest.fixture
def people(slack: SlackStandIn, language: str) -> People:
    """Amira and Sam respond, Victor only reads; each is a Slack user with
    the same (verified) email address. Amira reads Hotwash in `language`."""
    amira = create_user(
        "amira",
        role=Role.RESPONDER,
        first_name="Amira",
        email="amira@example.org",
        language=language,
    )
    sam = create_user(
        "sam", role=Role.RESPONDER, first_name="Sam", email="sam@example.org", language=language
    )
    victor = create_user("victor", role=Role.VIEWER, email="victor@example.org", language=language)
    slack.add_user("U0AMIRA", "amira", "Amira Martin", email="amira@example.org")
    slack.add_user("U0SAM", "sam", "Sam Roy", email="sam@example.org")
    slack.add_user("U0VICTOR", "victor", "Victor Hugo", email="victor@example.org")
    slack.add_user(
        "U0NOBODY",
        "nobody",
        "Nobody Known",
        email="nobody@elsewhere.example",
        locale="fr-FR" if language == "fr" else "en-GB",
    )
    return People(amira, sam, victor)


@dataclass
class Room:
    incident: Incident
    conversation: ChatConversation
    channel: Channel


@pytest.fixture
def room(slack: SlackStandIn, people: People, language: str) -> Room:
    """An incident with its own open Slack channel, in `language`."""
    incident = declare_incident(actor=people.amira, title="Checkout fails", severity=2)
    channel = slack.add_channel(f"inc-{incident.pk}-checkout-fails", members=["U0AMIRA", "U0SAM"])
    conversation = request_conversation(incident, platform="slack", language=language)
    conversation = record_opened(conversation, conversation_id=channel.id, name=channel.name)
    drain()  # the declaration's own deliveries
    return Room(incident, conversation, channel)


def drain() -> int:
    return HotwashWorker(
        worker_id="tests", queue_names=["default"], interval=0, periodic=False
    ).drain()


def command(
    client: Client,
    text: str,
    *,
    user: str,
    channel: str = "D0DIRECT",
    trigger: str = "",
    slack: SlackStandIn | None = None,
    **headers: str,
) -> HttpResponseBase:
    """Send `/incident <text>` as Slack does; answers sent later go to
    `slack`'s response_url."""
    body = command_body(
        text,
        user_id=user,
        channel_id=channel,
        trigger_id=trigger,
        response_url=slack.response_url if slack else "",
    )
    return client.post(
        "/integrations/slack/commands",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={**signed_headers(body), **headers},
    )


def event(
    client: Client, payload: dict[str, Any], *, event_id: str, **headers: str
) -> HttpResponseBase:
    body = event_body(payload, event_id=event_id)
    return client.post(
        "/integrations/slack/events",
        data=body,
        content_type="application/json",
        headers={**signed_headers(body), **headers},
    )


def interact(client: Client, payload: dict[str, Any]) -> HttpResponseBase:
    body = interaction_body(payload)
    return client.post(
        "/integrations/slack/interactivity",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers=signed_headers(body),
    )


def answer(response: HttpResponseBase) -> dict[str, Any]:
    data = json.loads(getattr(response, "content", b""))
    assert isinstance(data, dict)
    return data

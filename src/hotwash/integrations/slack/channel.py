"""Slack as a notification channel (kind "slack").

Targets:
- `{"conversation": pk, "open": true}` (chat's recipient source, for
  `incident.declared`): create the incident's channel (private for a
  private incident), invite the people, set its topic, post the first
  message. A retry never creates it twice (the conversation remembers its
  Slack id as soon as it exists);
- `{"conversation": pk}`: post the event in the conversation's language,
  and set the topic again when the event changes what it says;
- from the rules file: `{channel: "#incidents", language: fr}` posts the
  event there; `{incident_channel: true}` opens the incident's own channel
  (for incidents declared elsewhere).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from hotwash.chat.messages import TOPIC_EVENTS, event_text, topic
from hotwash.chat.models import ChatConversation
from hotwash.chat.services import record_opened, request_conversation
from hotwash.incidents.models import Incident, Participant, RoleAssignment
from hotwash.incidents.queries import can_view
from hotwash.integrations.slack.client import SlackRefused, call
from hotwash.integrations.slack.identity import SLACK, slack_id_of
from hotwash.notifications.channels import ChannelFailed, ChannelRejected, ChannelSkipped
from hotwash.notifications.models import Delivery, Event

NAME_LIMIT = 80  # Slack's limit on a channel's name
NAME_ATTEMPTS = 20  # inc-42-checkout-fails, -2 ... -20
TOPIC_LIMIT = 250  # Slack's limit on a topic
# A channel name Slack accepts: lowercase letters, digits, hyphens and
# underscores (no spaces, no periods).
NOT_IN_NAME = re.compile(r"[^a-z0-9_-]+")
# conversations.invite errors that leave nothing to do for that person.
INVITE_DONE = {"already_in_channel", "cant_invite_self", "user_is_bot", "user_not_found"}


def channel_name(incident: Incident) -> str:
    """The pattern's name for `incident`: "inc-42-checkout-fails"."""
    try:
        name = settings.SLACK_CHANNEL_PATTERN.format(
            number=incident.pk, ref=incident.ref, slug=slugify(incident.title)
        )
    except (KeyError, IndexError, ValueError):
        name = f"inc-{incident.pk}-{slugify(incident.title)}"
    name = NOT_IN_NAME.sub("-", name.lower()).strip("-")
    name = re.sub(r"-{2,}", "-", name)
    return name[:NAME_LIMIT].rstrip("-") or f"inc-{incident.pk}"


def numbered(name: str, number: int) -> str:
    if number == 1:
        return name
    suffix = f"-{number}"
    return name[: NAME_LIMIT - len(suffix)].rstrip("-") + suffix


class Slack:
    kind = "slack"
    label = _("Slack")
    reaches_people = False

    def check_target(self, target: Mapping[str, Any]) -> dict[str, Any]:
        checked: dict[str, Any] = {}
        unknown = set(target) - {"channel", "incident_channel", "language"}
        if unknown:
            raise ValueError(f"unknown keys {', '.join(sorted(unknown))}")
        channel = target.get("channel")
        opens = target.get("incident_channel")
        if (channel is None) == (opens is None):
            raise ValueError("name a channel (channel: '#incidents') or incident_channel: true")
        if channel is not None:
            if not isinstance(channel, str) or not re.fullmatch(
                r"#?[a-z0-9_-]{1,80}|[CGD][A-Z0-9]{2,}", channel
            ):
                raise ValueError("channel is a Slack channel's name (#incidents) or id (C0123)")
            checked["channel"] = channel
        else:
            if opens is not True:
                raise ValueError("incident_channel is true or absent")
            checked["incident_channel"] = True
        language = target.get("language")
        if language is not None:
            if language not in dict(settings.LANGUAGES):
                raise ValueError(
                    f"language is one of {', '.join(code for code, _name in settings.LANGUAGES)}"
                )
            checked["language"] = language
        return checked

    def send(self, delivery: Delivery) -> int | None:
        target = delivery.target
        event = delivery.event
        if "conversation" in target:
            conversation = (
                ChatConversation.objects.select_related("incident")
                .filter(pk=target["conversation"], platform=SLACK)
                .first()
            )
            if conversation is None:
                raise ChannelSkipped("The incident's Slack channel no longer exists in Hotwash.")
            if target.get("open"):
                return open_conversation(conversation, event)
            return post_event(conversation, event)
        language = str(target.get("language") or delivery.language or settings.LANGUAGE_CODE)
        if target.get("incident_channel"):
            incident = event.incident
            if incident is None:
                raise ChannelSkipped("The event is not about an incident.")
            conversation = request_conversation(incident, platform=SLACK, language=language)
            if conversation.is_open:
                return 200  # opened already (declared from Slack, or a retry)
            return open_conversation(conversation, event)
        call("chat.postMessage", channel=target["channel"], text=event_text(event, language).plain)
        return 200


def open_conversation(conversation: ChatConversation, event: Event) -> int:
    incident = conversation.incident
    if not conversation.is_open:
        conversation = _create(conversation, incident)
    for user_id in invitees(conversation, event):
        try:
            call("conversations.invite", channel=conversation.conversation_id, users=user_id)
        except SlackRefused as refused:
            if refused.error not in INVITE_DONE:
                raise
    call(
        "conversations.setTopic",
        channel=conversation.conversation_id,
        topic=topic(incident, conversation.language)[:TOPIC_LIMIT],
    )
    call(
        "chat.postMessage",
        channel=conversation.conversation_id,
        text=event_text(event, conversation.language).plain,
    )
    return 200


def _create(conversation: ChatConversation, incident: Incident) -> ChatConversation:
    base = channel_name(incident)
    for number in range(1, NAME_ATTEMPTS + 1):
        name = numbered(base, number)
        try:
            data = call("conversations.create", name=name, is_private=conversation.private)
        except SlackRefused as refused:
            if refused.error == "name_taken":
                continue
            raise
        channel = data.get("channel") or {}
        return record_opened(
            conversation,
            conversation_id=str(channel.get("id") or ""),
            name=str(channel.get("name") or name),
        )
    raise ChannelRejected(f"Slack has channels named {base} up to -{NAME_ATTEMPTS}.")


def invitees(conversation: ChatConversation, event: Event) -> list[str]:
    """Slack ids to invite, in order: who asked for the channel, the role
    holders, the participants (the declarer among them), and the people
    routing named for this event; only people who can see the incident (a
    private incident's channel is private)."""
    incident = conversation.incident
    accounts: list[User] = [
        assignment.user
        for assignment in RoleAssignment.objects.filter(incident=incident, ended_at__isnull=True)
        .select_related("user")
        .order_by("pk")
        if assignment.user is not None
    ]
    accounts += [
        participant.user
        for participant in Participant.objects.filter(incident=incident)
        .select_related("user")
        .order_by("joined_at", "pk")
    ]
    accounts += [
        delivery.recipient
        for delivery in Delivery.objects.filter(event=event, recipient__isnull=False)
        .select_related("recipient")
        .order_by("created_at", "pk")
        if delivery.recipient is not None
    ]
    found: list[str] = [conversation.requested_by] if conversation.requested_by else []
    seen: set[int] = set()
    for account in accounts:
        if account.pk in seen or not account.is_active or not can_view(account, incident):
            continue
        seen.add(account.pk)
        user_id = slack_id_of(account)
        if user_id and user_id not in found:
            found.append(user_id)
    return found


def post_event(conversation: ChatConversation, event: Event) -> int:
    if not conversation.is_open:
        # Its opening delivery has not succeeded yet: try again later.
        raise ChannelFailed("The incident's Slack channel is not open yet.", retry_after=30.0)
    call(
        "chat.postMessage",
        channel=conversation.conversation_id,
        text=event_text(event, conversation.language).plain,
    )
    if event.type in TOPIC_EVENTS:
        call(
            "conversations.setTopic",
            channel=conversation.conversation_id,
            topic=topic(conversation.incident, conversation.language)[:TOPIC_LIMIT],
        )
    return 200

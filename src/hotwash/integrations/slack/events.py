"""Events API events that put a conversation's messages on the timeline:
the timeline reaction (HOTWASH_SLACK_TIMELINE_REACTION) added or removed,
a message pinned or unpinned. Handled in the worker (tasks.py): reading the
message takes Web API calls, and Slack wants its answer within 3 seconds."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import translation

from hotwash.chat.commands import unknown_person
from hotwash.chat.models import ChatConversation
from hotwash.chat.services import (
    ChatMessage,
    conversation_of,
    mark_message,
    require_responder,
    unmark_message,
)
from hotwash.core.errors import DomainError
from hotwash.integrations.slack.client import call
from hotwash.integrations.slack.identity import (
    SLACK,
    account_of,
    display_name,
    language_of,
    link_address,
    locale_language,
    profile_of,
)
from hotwash.notifications.channels import ChannelRejected

REACTIONS = ("reaction_added", "reaction_removed")
PINS = ("pin_added", "pin_removed")


def wanted(event: dict[str, Any]) -> bool:
    """Whether the event may change a timeline (others are acknowledged and
    dropped at once)."""
    kind = event.get("type")
    if kind in REACTIONS:
        return (
            event.get("reaction") == settings.SLACK_TIMELINE_REACTION
            and (event.get("item") or {}).get("type") == "message"
        )
    return kind in PINS and (event.get("item") or {}).get("type") == "message"


def where(event: dict[str, Any]) -> tuple[str, str]:
    """The (channel, message ts) the event is about."""
    item = event.get("item") or {}
    if event.get("type") in REACTIONS:
        return str(item.get("channel") or ""), str(item.get("ts") or "")
    message = item.get("message") or {}
    channel = event.get("channel_id") or item.get("channel") or ""
    return str(channel), str(message.get("ts") or item.get("ts") or "")


def mark_of(event: dict[str, Any]) -> str:
    if event.get("type") in REACTIONS:
        return f"reaction:{event.get('user') or ''}"
    return "pin"


def handle(event: dict[str, Any]) -> str:
    if not wanted(event):
        return "ignored"
    channel, ts = where(event)
    conversation = conversation_of(SLACK, channel)
    if conversation is None or not ts:
        return "not an incident channel"
    user_id = str(event.get("user") or "")
    actor = account_of(user_id)
    if actor is None:
        language = locale_language(user_id)
        tell(channel, user_id, unknown_person(link_address(user_id, language), language))
        return "unknown person"
    # Refusals are told in the person's language.
    with translation.override(language_of(actor)):
        try:
            return _apply(event, conversation, channel, ts, actor)
        except DomainError as refused:
            tell(channel, user_id, refused.message)
            return "refused"


def _apply(
    event: dict[str, Any], conversation: ChatConversation, channel: str, ts: str, actor: User
) -> str:
    if str(event.get("type")).endswith("_removed"):
        removed = unmark_message(conversation, ts, mark=mark_of(event), actor=actor)
        return "removed" if removed else "kept"
    # Refused before reading the message (no Web API calls for nothing).
    require_responder(actor, conversation.incident)
    message = read_message(conversation, channel, ts)
    if message is None:
        return "message not found"
    mark_message(conversation, message, mark=mark_of(event), actor=actor)
    return "added"


def tell(channel: str, user_id: str, text: str) -> None:
    """Say why nothing happened, to that person only (chat.postEphemeral):
    never a silent failure. Best effort: the event itself is handled."""
    with contextlib.suppress(ChannelRejected):
        call("chat.postEphemeral", channel=channel, user=user_id, text=text)


def read_message(conversation: ChatConversation, channel: str, ts: str) -> ChatMessage | None:
    found = _from_history(channel, ts) or _from_thread(channel, ts)
    if found is None:
        return None
    user_id = str(found.get("user") or "")
    author = account_of(user_id) if user_id else None
    name = display_name(profile_of(user_id)) if user_id else ""
    permalink = str(
        call("chat.getPermalink", channel=channel, message_ts=ts).get("permalink") or ""
    )
    files = [
        {"name": str(f.get("name") or f.get("title") or ""), "url": str(f.get("permalink") or "")}
        for f in found.get("files") or []
        if isinstance(f, dict)
    ]
    return ChatMessage(
        message_id=ts,
        text=str(found.get("text") or ""),
        # The message's own time, not the reaction's.
        posted_at=ts_time(ts),
        author=author,
        author_name=name or str(found.get("username") or ""),
        permalink=permalink,
        files=files,
    )


def ts_time(ts: str) -> datetime:
    """A message's ts ("1733475667.000300": seconds and a unique suffix) as
    its time, to the microsecond, without a float's rounding."""
    seconds, _dot, fraction = ts.partition(".")
    moment = datetime.fromtimestamp(int(seconds), tz=UTC)
    return moment.replace(microsecond=int((fraction + "000000")[:6]))


def _from_history(channel: str, ts: str) -> dict[str, Any] | None:
    data = call("conversations.history", channel=channel, latest=ts, inclusive=True, limit=1)
    for message in data.get("messages") or []:
        if message.get("ts") == ts:
            return dict(message)
    return None


# A thread's replies are not in the channel's history; a thread holds at
# most this many pages of 200 worth reading.
THREAD_PAGES = 10


def _from_thread(channel: str, ts: str) -> dict[str, Any] | None:
    cursor = ""
    for _page in range(THREAD_PAGES):
        data = call(
            "conversations.replies", channel=channel, ts=ts, limit=200, cursor=cursor or None
        )
        for message in data.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            return None
    return None

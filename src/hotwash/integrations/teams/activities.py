"""What the bot does with an activity the Bot Connector sent (already
authenticated by auth.verify_request).

- `message` mentioning the bot: a command (`@Hotwash declare Checkout
  fails`), run by hotwash.chat.commands like Slack's `/incident`; or a
  form's Action.Submit (the message's `value`).
- `invoke` `adaptiveCard/action`: a form submitted with Action.Execute.
- `invoke` `composeExtension/submitAction`: the message actions "Add to
  timeline" and "Remove from timeline" (`messagePayload` is the message).

Every activity is handled once (chat.services.first_time on the
conversation and activity id, in the transaction that acts), so a
redelivered activity does nothing twice. A person is their Entra ID object
id (`from.aadObjectId`), linked once to the account with their verified
email address (read from the conversation's member, `email` or
`userPrincipalName`).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.chat import commands
from hotwash.chat.models import LinkedBy, Platform
from hotwash.chat.services import (
    ChatMessage,
    account_by_verified_email,
    account_for,
    conversation_of,
    declare_from_chat,
    first_time,
    link_identity,
    mark_message,
    unmark_message,
)
from hotwash.core.errors import DomainError
from hotwash.incidents.models import Incident
from hotwash.incidents.queries import can_view, get_incident
from hotwash.integrations.teams import cards, connector, tasks
from hotwash.notifications.links import absolute
from hotwash.statuspage.services import publish_update

logger = logging.getLogger(__name__)

PLATFORM = Platform.TEAMS
ADD_TO_TIMELINE = "addToTimeline"
REMOVE_FROM_TIMELINE = "removeFromTimeline"
MARK = "message-action"
MENTION = re.compile(r"<at>[^<]*</at>")


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to the Bot Connector: an invoke's response body, or
    nothing (a message's replies go through the Connector API)."""

    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class Context:
    activity: Mapping[str, Any]
    service_url: str
    conversation_id: str
    language: str
    user_id: str  # the sender's id in this conversation ("29:...")
    aad_id: str  # the sender's Entra ID object id
    name: str
    bot_id: str  # the bot's id in this conversation ("28:...")
    tenant_id: str
    # "personal" (the bot's chat with one person), "channel" or "groupChat"
    kind: str


def context_of(activity: Mapping[str, Any]) -> Context:
    sender = _mapping(activity.get("from"))
    return Context(
        activity=activity,
        service_url=str(activity.get("serviceUrl") or ""),
        conversation_id=str(_mapping(activity.get("conversation")).get("id") or ""),
        language=language_of(str(activity.get("locale") or "")),
        user_id=str(sender.get("id") or ""),
        aad_id=str(sender.get("aadObjectId") or ""),
        name=str(sender.get("name") or ""),
        bot_id=str(_mapping(activity.get("recipient")).get("id") or ""),
        tenant_id=str(
            _mapping(_mapping(activity.get("channelData")).get("tenant")).get("id")
            or settings.TEAMS_TENANT_ID
        ),
        kind=str(_mapping(activity.get("conversation")).get("conversationType") or ""),
    )


def handle(activity: Mapping[str, Any]) -> Answer:
    kind = activity.get("type")
    context = context_of(activity)
    if not context.conversation_id:
        return Answer()
    if kind == "message":
        value = activity.get("value")
        if isinstance(value, Mapping) and value.get(cards.FORM_KEY):
            text = _submitted(context, value)
        else:
            text = _command(context)
        if text is not None:
            _reply(context, text)
        return Answer()
    if kind == "invoke":
        name = activity.get("name")
        value = _mapping(activity.get("value"))
        if name == "adaptiveCard/action":
            data = _mapping(_mapping(value.get("action")).get("data"))
            reply = _submitted(context, data)
            message = _plain(reply) if reply is not None else ""
            return Answer(
                {
                    "statusCode": 200,
                    "type": "application/vnd.microsoft.activity.message",
                    "value": message,
                }
            )
        if name == "composeExtension/submitAction":
            said = _message_action(context, value)
            return Answer({"task": {"type": "message", "value": said}})
    # conversationUpdate, installationUpdate, typing...: nothing to do.
    return Answer()


# --- who is speaking -------------------------------------------------------------


def actor_of(context: Context) -> User | None:
    """The account of the sender: already linked, or found now by the
    verified email address Teams gives for them (then linked)."""
    if not context.aad_id:
        return None
    user = account_for(PLATFORM, context.aad_id)
    if user is not None:
        return user
    return _by_member_email(context, context.user_id, context.aad_id, context.name)


def _by_member_email(context: Context, user_id: str, aad_id: str, name: str) -> User | None:
    try:
        member = connector.member(context.service_url, context.conversation_id, user_id)
    except connector.ConnectorError as error:
        logger.warning("Teams: could not read member %s: %s", user_id, error)
        return None
    email = str(member.get("email") or member.get("userPrincipalName") or "")
    user = account_by_verified_email(email) if email else None
    aad_id = aad_id or str(member.get("aadObjectId") or "")
    if user is not None and aad_id:
        link_identity(PLATFORM, aad_id, user, linked_by=LinkedBy.EMAIL, display_name=name)
    return user


def _person_resolver(context: Context) -> commands.PersonResolver:
    """`role commander @Amira`: each mention's member, as an account, read
    now (before the command's transaction, which holds no HTTP call)."""
    bot_id = str(_mapping(context.activity.get("recipient")).get("id") or "")
    people: dict[str, User | None] = {}
    for entity in _entities(context.activity):
        mentioned = _mapping(entity.get("mentioned"))
        user_id = str(mentioned.get("id") or "")
        if user_id and user_id != bot_id:
            people[str(entity.get("text") or "")] = _by_member_email(
                context, user_id, "", str(mentioned.get("name") or "")
            )
    return lambda token: people.get(token.strip())


def _unknown_person(context: Context) -> str:
    """What someone Hotwash does not know is told (the chat core's words)."""
    return commands.run(
        "",
        platform=PLATFORM,
        requester=context.user_id,
        actor=None,
        conversation=None,
        resolve_person=lambda _token: None,
        language=context.language,
        link_account_url=_link_account_url(context.language),
    ).text


# --- commands ----------------------------------------------------------------------


def command_text(activity: Mapping[str, Any]) -> str:
    """The text after the bot's mention, without markup: "declare Checkout
    fails" from "<at>Hotwash</at> declare Checkout fails". Other people's
    mentions stay as they are, for `role` to resolve."""
    text = str(activity.get("text") or "")
    bot_id = str(_mapping(activity.get("recipient")).get("id") or "")
    for entity in _entities(activity):
        if str(_mapping(entity.get("mentioned")).get("id") or "") == bot_id:
            text = text.replace(str(entity.get("text") or ""), " ", 1)
    others = {str(e.get("text") or "") for e in _entities(activity)}
    kept = {
        f"\x00{index}\x00": mention
        for index, mention in enumerate(m for m in MENTION.findall(text) if m in others)
    }
    for placeholder, mention in kept.items():
        text = text.replace(mention, placeholder, 1)
    text = html.unescape(strip_tags(text))
    for placeholder, mention in kept.items():
        text = text.replace(placeholder, mention)
    text = " ".join(text.split())
    return text.removeprefix("/incident").strip()


def _command(context: Context) -> dict[str, Any] | None:
    text = command_text(context.activity)
    actor = actor_of(context)
    conversation = conversation_of(PLATFORM, context.conversation_id)
    if conversation is not None and conversation.incident.private and not conversation.private:
        # Teams has no message only the asker sees: in a thread that was
        # public when the incident turned private, answers would tell
        # everyone in the channel (the announcements stopped there too).
        with translation.override(context.language):
            return cards.text_activity(
                _(
                    "This incident is now private: use Hotwash's web page, this thread "
                    "is not told about it any more."
                )
            )
    resolve_person = _person_resolver(context) if actor is not None else lambda _token: None
    with transaction.atomic():
        if not first_time(PLATFORM, _receipt(context)):
            return None
        reply = commands.run(
            text,
            platform=PLATFORM,
            requester=context.user_id,
            actor=actor,
            conversation=conversation,
            resolve_person=resolve_person,
            language=context.language,
            link_account_url=_link_account_url(context.language),
            service_url=context.service_url,
        )
    if reply.form == "declare":
        return cards.card_activity(cards.declare_form(context.language))
    if reply.form == "update" and conversation is not None:
        return cards.card_activity(
            cards.update_form(context.language, incident_ref=conversation.incident.ref)
        )
    if reply.personal and conversation is not None and context.kind != "personal":
        return _answered_privately(context, conversation.incident, reply.text)
    return cards.text_activity(reply.text)


# --- forms ---------------------------------------------------------------------------


def _submitted(context: Context, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """A submitted form: declare or publish an update. The reply, or None
    for a form already handled."""
    actor = actor_of(context)
    with translation.override(context.language):
        if actor is None:
            return cards.text_activity(_unknown_person(context))
        try:
            with transaction.atomic():
                if not first_time(PLATFORM, _receipt(context)):
                    return None
                form = data.get(cards.FORM_KEY)
                if form == cards.DECLARE:
                    text = _declare(context, actor, data)
                elif form == cards.UPDATE:
                    text = _update(actor, data)
                else:
                    text = _("This form is not one Hotwash knows.")
        except DomainError as error:
            text = str(error)
        return cards.text_activity(text)


def _declare(context: Context, actor: User, data: Mapping[str, Any]) -> str:
    title = str(data.get("title") or "").strip()
    if not title:
        return _("Give the incident a title.")
    services = [s.strip() for s in str(data.get("services") or "").split(",") if s.strip()]
    incident = declare_from_chat(
        actor=actor,
        platform=PLATFORM,
        requested_by=context.user_id,
        language=context.language,
        title=title,
        severity=data.get("severity") or None,
        services=services,
        private=str(data.get("private") or "").lower() == "true",
        service_url=context.service_url,
    )
    # The form's answer is posted where it was filled in.
    return commands.declared_text(incident, actor, context.language)


def _update(actor: User, data: Mapping[str, Any]) -> str:
    incident = get_incident(actor, str(data.get("incident") or ""))
    publish_update(
        incident,
        actor=actor,
        audience=data.get("audience"),
        status=data.get("status"),
        text={"en": str(data.get("text_en") or ""), "fr": str(data.get("text_fr") or "")},
    )
    return _("Update published.")


# --- the timeline from the conversation ---------------------------------------------


def _message_action(context: Context, value: Mapping[str, Any]) -> str:
    command = value.get("commandId")
    payload = _mapping(value.get("messagePayload"))
    with translation.override(context.language):
        if command not in (ADD_TO_TIMELINE, REMOVE_FROM_TIMELINE) or not payload.get("id"):
            return _("Hotwash does not know this action.")
        conversation = conversation_of(PLATFORM, context.conversation_id)
        if conversation is None:
            return _("This message is not in an incident's conversation.")
        actor = actor_of(context)
        if actor is None:
            return _unknown_person(context)
        if not can_view(actor, conversation.incident):
            return _("You cannot see this incident.")
        if not can_respond(actor):
            return _("Only responders can change the timeline.")
        with transaction.atomic():
            if not first_time(PLATFORM, _receipt(context)):
                return _("Already done.")
            if command == REMOVE_FROM_TIMELINE:
                removed = unmark_message(conversation, str(payload["id"]), mark=MARK, actor=actor)
                return (
                    _("Removed from the timeline.")
                    if removed
                    else _("This message is not on the timeline.")
                )
            mark_message(conversation, message_of(payload), mark=MARK, actor=actor)
            return _("Added to the timeline.")


def message_of(payload: Mapping[str, Any]) -> ChatMessage:
    """A Teams message (the message action's `messagePayload`, shaped like
    Microsoft Graph's chatMessage) as the chat core wants it."""
    sender = _mapping(_mapping(payload.get("from")).get("user"))
    author_id = str(sender.get("id") or "")
    body = _mapping(payload.get("body"))
    content = str(body.get("content") or "")
    if body.get("contentType") == "html":
        content = html.unescape(strip_tags(content))
    attachments = payload.get("attachments")
    files = [
        {"name": str(a.get("name") or ""), "url": str(a.get("contentUrl") or "")}
        for a in (attachments if isinstance(attachments, list) else [])
        if isinstance(a, Mapping) and a.get("contentUrl")
    ]
    return ChatMessage(
        message_id=str(payload["id"]),
        text=content.strip(),
        posted_at=_parse_time(str(payload.get("createdDateTime") or "")),
        author=account_for(PLATFORM, author_id) if author_id else None,
        author_name=str(sender.get("displayName") or ""),
        permalink=str(payload.get("linkToMessage") or ""),
        files=files,
    )


def _parse_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return timezone.now()
    return moment if moment.tzinfo else timezone.make_aware(moment)


# --- replies -------------------------------------------------------------------------


def _reply(context: Context, activity: dict[str, Any]) -> None:
    """Answer in the conversation, as a reply to the activity: at once,
    and from the worker when Teams could not take it now (429, 5xx, no
    answer). What the command did is done whatever becomes of the reply."""
    activity_id = str(context.activity.get("id") or "")
    where = (context.service_url, context.conversation_id, activity_id, activity)
    try:
        connector.reply(*where)
    except connector.ConnectorError as error:
        if not tasks.retry_reply(error, *where, attempt=1):
            logger.warning("Teams: the reply to %s was not sent: %s", activity_id, error)


def _answered_privately(context: Context, incident: Incident, text: str) -> dict[str, Any]:
    """Teams has no message that only one person in a channel sees (Slack's
    ephemeral): an answer meant for the asker alone goes to their private
    chat with the bot, and the conversation is told only that it went
    there. A person who has not added the app for themself (403) cannot be
    written to first: they get a link to the same answer on the web."""
    person = {"bot_id": context.bot_id, "user_id": context.user_id, "tenant_id": context.tenant_id}
    private = cards.text_activity(text)
    with translation.override(context.language):
        try:
            connector.send_privately(context.service_url, activity=private, **person)
        except connector.ConnectorError as error:
            if not tasks.retry_private(error, context.service_url, person, private, attempt=1):
                logger.info("Teams: no private chat with %s: %s", context.user_id, error)
                url = absolute(reverse("incidents:catchup", args=[incident.ref]))
                return cards.text_activity(
                    _(
                        "I cannot write to you privately until you add the Hotwash app "
                        "for yourself in Teams. Read it on the web instead: %(url)s"
                    )
                    % {"url": url}
                )
        return cards.text_activity(_("I am sending you the answer in a private chat."))


def _plain(activity: Mapping[str, Any]) -> str:
    return str(activity.get("text") or "").replace("\n\n", "\n")


def _link_account_url(language: str) -> str:
    with translation.override(language):
        return absolute(reverse("notifications:preferences"))


def language_of(locale: str) -> str:
    """ "fr-FR" → "fr"; a language Hotwash does not speak → the default."""
    code = locale.split("-")[0].lower()
    known = {code for code, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


def _receipt(context: Context) -> str:
    return f"{context.conversation_id}:{context.activity.get('id') or ''}"


def _entities(activity: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    entities = activity.get("entities")
    return [
        e
        for e in (entities if isinstance(entities, list) else [])
        if isinstance(e, Mapping) and e.get("type") == "mention"
    ]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}

"""Microsoft Teams as notification channels.

`teams`: an incident's own conversation, planned by the chat core's
recipient source (hotwash.chat.recipients), never named by a rule:
- `{"conversation": pk, "open": true}` opens it: a new thread in the
  incident channel (HOTWASH_TEAMS_INCIDENT_CHANNEL_ID; a private incident's
  in HOTWASH_TEAMS_PRIVATE_CHANNEL_ID, refused when there is none), its
  first message the declaration's card. Idempotent: an open conversation
  is not opened again.
- `{"conversation": pk}` posts the event there as an Adaptive Card, in the
  conversation's language.
Teams threads have no topic, so there is none to update.

`teams_webhook`: for organisations that cannot register a bot, a plain
routing channel that posts the event's card to a Teams workflow webhook
("Post to a channel when a webhook request is received"). The URL is a
secret (anyone who has it can post): a rule names the environment variable
holding it, `teams_webhook: {url_env: HOTWASH_SECRET_TEAMS_OPS, language: fr}`.

Answers: 2xx is sent; 429 (with Retry-After), 5xx and no answer are
retried; 401/403 and other 4xx fail at once, shown on the delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hotwash.chat.messages import event_text
from hotwash.chat.models import ChatConversation, Platform
from hotwash.chat.services import record_opened
from hotwash.core.outbound import GuardedTransport, OutboundRefused
from hotwash.core.secret_env import (
    SecretEnvRefused,
    operator_env_name_problem,
    read_operator_env,
    read_secret_env,
)
from hotwash.integrations.teams import cards, connector
from hotwash.notifications.channel_http import USER_AGENT, retry_after
from hotwash.notifications.channels import ChannelFailed, ChannelRejected, ChannelSkipped
from hotwash.notifications.models import Delivery
from hotwash.notifications.routing import rules_name

# How long to wait for a conversation that is still being opened.
OPENING_WAIT = 30.0
NAME_LIMIT = 255


def _failure(error: connector.ConnectorError) -> ChannelFailed:
    """The Bot Connector's (or token endpoint's) answer as the delivery's
    outcome: retried when waiting may help, refused for good otherwise."""
    status = error.status
    message = f"Microsoft Teams: {error}"
    if status is None or status == 429 or status >= 500:
        return ChannelFailed(message, status_code=status, retry_after=error.retry_after)
    return ChannelRejected(message, status_code=status)


class TeamsConversation:
    kind = Platform.TEAMS.value
    label = _("Microsoft Teams")
    reaches_people = False

    def check_target(self, target: Mapping[str, Any]) -> dict[str, Any]:
        raise ValueError(
            "teams posts to an incident's own conversation (declared from Teams); "
            "to post to a channel from a rule, use teams_webhook: {url_env: HOTWASH_SECRET_...}"
        )

    def send(self, delivery: Delivery) -> int | None:
        target = delivery.target
        conversation = (
            ChatConversation.objects.select_related("incident")
            .filter(pk=target.get("conversation"), platform=Platform.TEAMS)
            .first()
        )
        if conversation is None:
            raise ChannelSkipped("The incident's Teams conversation no longer exists.")
        if target.get("open"):
            return self._open(conversation, delivery)
        if not conversation.is_open:
            raise ChannelFailed(
                "The incident's Teams thread is not open yet.", retry_after=OPENING_WAIT
            )
        activity = self._card(conversation, delivery)
        try:
            connector.post(conversation.service_url, conversation.conversation_id, activity)
        except connector.ConnectorError as error:
            raise _failure(error) from None
        return 201

    def _card(self, conversation: ChatConversation, delivery: Delivery) -> dict[str, Any]:
        text = event_text(delivery.event, conversation.language)
        return cards.card_activity(
            cards.event_card(text, conversation.language), summary=text.headline
        )

    def _open(self, conversation: ChatConversation, delivery: Delivery) -> int | None:
        if conversation.is_open:
            return None  # a retry after it opened: nothing more to do
        channel_id = (
            settings.TEAMS_PRIVATE_CHANNEL_ID
            if conversation.private
            else settings.TEAMS_INCIDENT_CHANNEL_ID
        )
        if not channel_id:
            setting = (
                "HOTWASH_TEAMS_PRIVATE_CHANNEL_ID"
                if conversation.private
                else "HOTWASH_TEAMS_INCIDENT_CHANNEL_ID"
            )
            raise ChannelRejected(f"No Teams channel for this incident's thread: set {setting}.")
        service_url = conversation.service_url or settings.TEAMS_SERVICE_URL
        try:
            created = connector.create_thread(
                service_url,
                channel_id=channel_id,
                tenant_id=settings.TEAMS_TENANT_ID,
                activity=self._card(conversation, delivery),
            )
        except connector.ConnectorError as error:
            raise _failure(error) from None
        thread = str(created.get("id") or "")
        if not thread:
            raise ChannelFailed("Microsoft Teams created the thread but gave no id.")
        incident = conversation.incident
        record_opened(
            conversation,
            conversation_id=thread,
            name=f"{incident.ref} {incident.title}"[:NAME_LIMIT],
            service_url=service_url,
        )
        return 201


# --- the workflow webhook ----------------------------------------------------------

WEBHOOK_KIND = "teams_webhook"
URL_ENV = "url_env"
WEBHOOK_KEYS = (URL_ENV, "language")


class TeamsWebhook:
    kind = WEBHOOK_KIND
    label = _("Microsoft Teams (workflow webhook)")
    reaches_people = False

    def check_target(self, target: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(target, Mapping):
            raise ValueError(
                "teams_webhook takes a mapping, e.g. {url_env: HOTWASH_SECRET_TEAMS_WEBHOOK}"
            )
        unknown = sorted(set(target) - set(WEBHOOK_KEYS))
        if unknown:
            raise ValueError(
                f"teams_webhook: unknown key {', '.join(unknown)}; known: {', '.join(WEBHOOK_KEYS)}"
            )
        name = target.get(URL_ENV)
        if not isinstance(name, str) or not name.strip():
            raise ValueError(
                "teams_webhook needs url_env: the environment variable holding the workflow's URL"
            )
        if (problem := operator_env_name_problem(name.strip())) is not None:
            raise ValueError(f"teams_webhook: url_env {name}: {problem}")
        checked: dict[str, Any] = {URL_ENV: name.strip()}
        language = target.get("language")
        if language is not None:
            known = [code for code, _name in settings.LANGUAGES]
            if language not in known:
                raise ValueError(
                    f"teams_webhook: language {language!r} is not one of {', '.join(known)}"
                )
            checked["language"] = language
        return checked

    def send(self, delivery: Delivery) -> int | None:
        url = _webhook_url(str(delivery.target.get(URL_ENV) or ""))
        language = str(
            delivery.target.get("language") or delivery.language or settings.LANGUAGE_CODE
        )
        text = event_text(delivery.event, language)
        # The documented shape for workflows: a message with one Adaptive
        # Card attachment (no `summary`: the workflow posts the card itself).
        body = cards.card_activity(cards.event_card(text, language))
        timeout = settings.TEAMS_TIMEOUT
        try:
            with httpx.Client(
                timeout=timeout, follow_redirects=False, transport=GuardedTransport()
            ) as client:
                response = client.post(url, json=body, headers={"User-Agent": USER_AGENT})
        except OutboundRefused as refused:
            raise ChannelFailed(f"Teams workflow webhook: {refused}") from None
        except httpx.TimeoutException:
            raise ChannelFailed(
                f"The Teams workflow webhook did not answer within {timeout:g} seconds."
            ) from None
        except httpx.HTTPError as error:
            raise ChannelFailed(
                f"The Teams workflow webhook could not be reached ({type(error).__name__})."
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return status
        message = f"The Teams workflow webhook answered HTTP {status}."
        if status in (408, 429) or status >= 500:
            raise ChannelFailed(message, status_code=status, retry_after=retry_after(response))
        raise ChannelRejected(message, status_code=status)


def _webhook_url(name: str) -> str:
    """The URL the variable `name` holds. A name the rules file in force
    gives is the operator's; any other (a row changed since) must be a
    HOTWASH_SECRET_ variable. Never put the URL in a message."""
    read = (
        read_operator_env if name and rules_name(WEBHOOK_KIND, URL_ENV, name) else read_secret_env
    )
    try:
        url = read(name).strip()
    except SecretEnvRefused as refused:
        raise ChannelRejected(f"Teams workflow webhook: {refused}") from None
    if not url.startswith(("https://", "http://")):
        raise ChannelRejected(
            f"The Teams workflow webhook's URL is unavailable: the environment variable {name} "
            "is not set to an http(s) address in the worker."
        )
    return url

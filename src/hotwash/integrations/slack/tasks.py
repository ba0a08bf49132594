"""The Slack work the worker does, so the endpoints answer at once."""

from __future__ import annotations

import logging
from typing import Any

from django_tasks import task

from hotwash.chat import commands
from hotwash.chat.services import conversation_of
from hotwash.integrations.slack import events
from hotwash.integrations.slack.client import call, respond
from hotwash.integrations.slack.identity import SLACK, account_of, language_of, person_named
from hotwash.jobs.retry import retry_later
from hotwash.notifications.channels import ChannelFailed, ChannelRejected

logger = logging.getLogger("hotwash.integrations.slack")


@task()
def handle_event(event: dict[str, Any], attempt: int = 1) -> str:
    """One Events API event (already received once: chat.services.first_time)."""
    try:
        return events.handle(event)
    except ChannelRejected as error:
        logger.warning("Slack refused reading a marked message: %s", error)
        return f"refused: {error}"
    except ChannelFailed as error:
        # Retried with backoff; the failed attempt shows among the task
        # results in the admin with its traceback.
        if retry_later(handle_event, event, attempt=attempt, at_least=error.retry_after) is None:
            logger.error("Slack event given up after %d attempts: %s", attempt, error)
        raise


@task()
def say(channel: str, text: str, attempt: int = 1) -> str:
    """A follow-up message in a channel (after a modal was submitted)."""
    try:
        call("chat.postMessage", channel=channel, text=text)
    except ChannelRejected as error:
        logger.warning("Slack refused a follow-up message: %s", error)
        return f"refused: {error}"
    except ChannelFailed as error:
        retry_later(say, channel, text, attempt=attempt, at_least=error.retry_after)
        raise
    return "sent"


@task()
def run_command(text: str, user_id: str, channel_id: str, response_url: str) -> str:
    """A slash command that changes something, run once (Slack never
    retries a command; running it again could declare twice); its answer
    goes back through the command's response_url."""
    actor = account_of(user_id)
    reply = commands.run(
        text,
        platform=SLACK,
        requester=user_id,
        actor=actor,
        conversation=conversation_of(SLACK, channel_id),
        resolve_person=person_named,
        language=language_of(actor),
    )
    answer.enqueue(response_url, reply.text, reply.public)
    return "answered"


@task()
def answer(response_url: str, text: str, public: bool, attempt: int = 1) -> str:
    """Answer a command through its response_url, retried on its own."""
    try:
        respond(response_url, text, public=public)
    except ChannelRejected as error:
        logger.warning("Slack refused a command's answer: %s", error)
        return f"refused: {error}"
    except ChannelFailed as error:
        retry_later(answer, response_url, text, public, attempt=attempt, at_least=error.retry_after)
        raise
    return "sent"

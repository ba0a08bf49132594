"""The bot's replies (and private answers) that could not be sent at once (the Bot Connector
answered 429 or 5xx, or nothing): sent again from the worker, with backoff
and no sooner than a Retry-After says, so a reply is not lost when Teams
is briefly unavailable. Each failed attempt stays visible among the task
results in the admin."""

from __future__ import annotations

import logging
from typing import Any

from django_tasks import task

from hotwash.integrations.teams import connector
from hotwash.jobs.retry import retry_later

logger = logging.getLogger(__name__)


def worth_retrying(error: connector.ConnectorError) -> bool:
    return error.status is None or error.status == 429 or error.status >= 500


def retry_reply(
    error: connector.ConnectorError,
    service_url: str,
    conversation_id: str,
    activity_id: str,
    activity: dict[str, Any],
    *,
    attempt: int,
) -> bool:
    """Queue the next attempt of a reply that failed; False when it is
    not worth it (refused for good) or was the last one allowed."""
    if not worth_retrying(error):
        return False
    return (
        retry_later(
            send_reply,
            service_url,
            conversation_id,
            activity_id,
            activity,
            attempt=attempt,
            at_least=error.retry_after,
        )
        is not None
    )


@task()
def send_reply(
    service_url: str,
    conversation_id: str,
    activity_id: str,
    activity: dict[str, Any],
    attempt: int = 1,
) -> str:
    try:
        connector.reply(service_url, conversation_id, activity_id, activity)
    except connector.ConnectorError as error:
        if retry_reply(error, service_url, conversation_id, activity_id, activity, attempt=attempt):
            raise
        logger.warning("Teams: gave up the reply to %s: %s", activity_id, error)
        return "given up"
    return "sent"


def retry_private(
    error: connector.ConnectorError,
    service_url: str,
    person: dict[str, str],
    activity: dict[str, Any],
    *,
    attempt: int,
) -> bool:
    """Queue the next attempt of a private answer that failed; False when
    it is not worth it (the person has not added the app: 403) or was the
    last one allowed. `person`: bot_id, user_id and tenant_id."""
    if not worth_retrying(error):
        return False
    return (
        retry_later(
            send_private, service_url, person, activity, attempt=attempt, at_least=error.retry_after
        )
        is not None
    )


@task()
def send_private(
    service_url: str, person: dict[str, str], activity: dict[str, Any], attempt: int = 1
) -> str:
    try:
        connector.send_privately(service_url, activity=activity, **person)
    except connector.ConnectorError as error:
        if retry_private(error, service_url, person, activity, attempt=attempt):
            raise
        logger.warning("Teams: gave up a private answer to %s: %s", person["user_id"], error)
        return "given up"
    return "sent"

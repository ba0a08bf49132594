"""The Bot Connector REST API (v3), the few calls Hotwash makes:

- reply to an activity: POST {serviceUrl}/v3/conversations/{id}/activities/{activityId}
- post to a conversation: POST {serviceUrl}/v3/conversations/{id}/activities
- start a thread in a channel: POST {serviceUrl}/v3/conversations
- open (or find) the bot's private chat with a person: POST
  {serviceUrl}/v3/conversations with `isGroup: false` and the person as
  the one member (403 when the person has not added the app for themself)
- read a member (their email): GET {serviceUrl}/v3/conversations/{id}/members/{userId}

Each carries the bot's token (auth.bot_token). The Bot Connector answers
2xx when it took the request, 429 with Retry-After when the bot sends too
fast, 401/403 when the token or the bot's permissions are wrong, 404 for a
conversation it does not know, 5xx when it fails: ConnectorError carries
the status for the channel to decide (retry or give up).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from hotwash.core.outbound import GuardedTransport, OutboundRefused
from hotwash.integrations.teams.auth import TokenUnavailable, bot_token
from hotwash.notifications.channel_http import USER_AGENT, json_of, retry_after


class ConnectorError(Exception):
    """A call failed. `status` is None when nothing answered."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def _url(service_url: str, *parts: str) -> str:
    return (
        service_url.rstrip("/")
        + "/v3/conversations"
        + "".join("/" + quote(part, safe="") for part in parts)
    )


def _call(method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    try:
        token = bot_token.get()
    except TokenUnavailable as error:
        raise ConnectorError(
            str(error), status=error.status, retry_after=error.retry_after
        ) from None
    timeout = settings.TEAMS_TIMEOUT
    try:
        with httpx.Client(
            timeout=timeout, follow_redirects=False, transport=GuardedTransport()
        ) as client:
            response = client.request(
                method,
                url,
                json=body,
                headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
            )
    except OutboundRefused as refused:
        raise ConnectorError(f"Microsoft Teams: {refused}") from None
    except httpx.TimeoutException:
        raise ConnectorError(
            f"The Bot Connector did not answer within {timeout:g} seconds."
        ) from None
    except httpx.HTTPError as error:
        raise ConnectorError(
            f"The Bot Connector could not be reached ({type(error).__name__})."
        ) from None
    if response.status_code == 401:
        # A token revoked early: the next attempt asks for a new one.
        bot_token.forget()
    if not 200 <= response.status_code < 300:
        detail = _error_message(response)
        raise ConnectorError(
            f"The Bot Connector answered HTTP {response.status_code}{detail}.",
            status=response.status_code,
            retry_after=retry_after(response),
        )
    return json_of(response)


def _error_message(response: httpx.Response) -> str:
    error = json_of(response).get("error")
    if isinstance(error, dict) and error.get("message"):
        return f": {str(error['message'])[:300]}"
    return ""


def reply(
    service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
) -> dict[str, Any]:
    return _call("POST", _url(service_url, conversation_id, "activities", activity_id), activity)


def post(service_url: str, conversation_id: str, activity: dict[str, Any]) -> dict[str, Any]:
    return _call("POST", _url(service_url, conversation_id, "activities"), activity)


def create_thread(
    service_url: str, *, channel_id: str, tenant_id: str, activity: dict[str, Any]
) -> dict[str, Any]:
    """Start a thread in a Teams channel with `activity` as its first
    message; the answer's `id` is the thread's conversation id."""
    return _call(
        "POST",
        _url(service_url),
        {
            "isGroup": True,
            "channelData": {"channel": {"id": channel_id}, "tenant": {"id": tenant_id}},
            "activity": activity,
        },
    )


def private_chat(service_url: str, *, bot_id: str, user_id: str, tenant_id: str) -> str:
    """The id of the bot's one-to-one chat with `user_id`. Teams answers
    with the existing chat when there is one, so asking again is safe."""
    answer = _call(
        "POST",
        _url(service_url),
        {
            "bot": {"id": bot_id},
            "members": [{"id": user_id}],
            "channelData": {"tenant": {"id": tenant_id}},
            "isGroup": False,
        },
    )
    chat_id = str(answer.get("id") or "")
    if not chat_id:
        raise ConnectorError("The Bot Connector did not name the private chat.", status=502)
    return chat_id


def send_privately(
    service_url: str, *, bot_id: str, user_id: str, tenant_id: str, activity: dict[str, Any]
) -> None:
    chat_id = private_chat(service_url, bot_id=bot_id, user_id=user_id, tenant_id=tenant_id)
    post(service_url, chat_id, activity)


def member(service_url: str, conversation_id: str, user_id: str) -> dict[str, Any]:
    return _call("GET", _url(service_url, conversation_id, "members", user_id))

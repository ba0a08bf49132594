"""The Slack Web API through slack_sdk's WebClient, and what its failures
mean for a delivery or a queued task.

- HTTP 429 (rate limited): retried, no sooner than Slack's Retry-After;
- HTTP 5xx, a timeout, no answer: retried;
- `ok: false` with an error name (`channel_not_found`, `invalid_auth`,
  `not_in_channel`...): Slack refuses for good, retrying would not help.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from urllib.parse import urlsplit

from django.conf import settings

from hotwash.notifications.channels import ChannelFailed, ChannelRejected

# slack_sdk is imported where a message leaves, not with this module: every
# process (each `hotwash` command) imports the chat wiring, and slack_sdk's
# Web API client costs a tenth of a second to import.
if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

# Slack's advice when a 429 gave no Retry-After (its limits are per minute).
RATE_LIMIT_WAIT = 30.0
# `ok: false` errors Slack documents as passing (worth retrying).
TRANSIENT = {
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "ratelimited",
}


class SlackRefused(ChannelRejected):
    """Slack answered `ok: false` with `error`, for good."""

    def __init__(self, message: str, *, error: str, status_code: int | None = None) -> None:
        super().__init__(message, status_code=status_code)
        self.error = error


def configured() -> bool:
    return bool(settings.SLACK_SIGNING_SECRET and settings.SLACK_BOT_TOKEN)


def web_client() -> WebClient:
    from slack_sdk import WebClient

    if not settings.SLACK_BOT_TOKEN:
        raise ChannelRejected("Slack is not configured (HOTWASH_SLACK_BOT_TOKEN is empty).")
    base = settings.SLACK_API_URL
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=base if base.endswith("/") else base + "/",
        timeout=int(settings.SLACK_TIMEOUT),
    )


def call(method: str, **arguments: Any) -> dict[str, Any]:
    """Call one Web API method; its answer's data, or ChannelFailed /
    ChannelRejected saying what Slack answered."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    client = web_client()
    try:
        response = client.api_call(method, data=_form(arguments))
    except SlackApiError as error:
        raise failure(method, error) from None
    except (SlackClientError, URLError, OSError, ValueError) as error:
        raise ChannelFailed(f"Slack did not answer {method}: {error}") from None
    data = response.data
    return data if isinstance(data, dict) else {}


def response_url_allowed(url: str) -> bool:
    """A command's response_url is Slack's (https://hooks.slack.com/...), or
    on the Web API's own host (a stand-in): never anywhere else, whatever a
    request said."""
    parts = urlsplit(url)
    api = urlsplit(settings.SLACK_API_URL)
    if parts.scheme == "https" and (parts.hostname or "").endswith(".slack.com"):
        return True
    return bool(parts.netloc) and (parts.scheme, parts.netloc) == (api.scheme, api.netloc)


def respond(url: str, text: str, *, public: bool) -> None:
    """Answer a slash command through its response_url (valid 30 minutes,
    five answers)."""
    if not response_url_allowed(url):
        raise ChannelRejected("The command's response_url is not Slack's.")
    from slack_sdk.errors import SlackClientError
    from slack_sdk.webhook import WebhookClient

    client = WebhookClient(url, timeout=int(settings.SLACK_TIMEOUT))
    try:
        response = client.send(text=text, response_type="in_channel" if public else "ephemeral")
    except (SlackClientError, URLError, OSError, ValueError) as error:
        raise ChannelFailed(f"Slack did not answer the response_url: {error}") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise ChannelFailed(
            f"Slack failed on the response_url (HTTP {response.status_code}).",
            status_code=response.status_code,
            retry_after=_retry_after(dict(response.headers))
            if response.status_code == 429
            else None,
        )
    if response.status_code >= 400:
        raise ChannelRejected(
            f"Slack refused the response_url (HTTP {response.status_code}): {response.body}",
            status_code=response.status_code,
        )


def error_name(error: SlackApiError) -> str:
    data = error.response.data if error.response is not None else None
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def failure(method: str, error: SlackApiError) -> ChannelFailed:
    response = error.response
    status = int(response.status_code) if response is not None else 0
    name = error_name(error)
    if status == 429:
        return ChannelFailed(
            f"Slack is rate limiting {method} (HTTP 429).",
            status_code=status,
            retry_after=_retry_after(response.headers if response is not None else {}),
        )
    if status >= 500 or status == 0 or name in TRANSIENT:
        return ChannelFailed(f"Slack failed on {method} (HTTP {status}).", status_code=status)
    return SlackRefused(
        f"Slack refused {method}: {name or 'error'} (HTTP {status}).",
        error=name,
        status_code=status,
    )


def _retry_after(headers: dict[str, Any]) -> float:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            text = value[0] if isinstance(value, list) and value else value
            try:
                return max(float(str(text)), 1.0)
            except ValueError:
                break
    return RATE_LIMIT_WAIT


def _form(arguments: dict[str, Any]) -> dict[str, Any]:
    """Form-encoded arguments (what every method accepts): booleans as
    Slack writes them, lists and objects as JSON text."""
    form: dict[str, Any] = {}
    for key, value in arguments.items():
        if value is None:
            continue
        if isinstance(value, bool):
            form[key] = "true" if value else "false"
        elif isinstance(value, (list, dict)):
            form[key] = json.dumps(value)
        else:
            form[key] = value
    return form

"""What channels that call an HTTP API share (pagers today, chat later):
one guarded POST that turns a network failure into `ChannelFailed`, the
wait a 429 or 503 asks for, and the scrubbing of a secret out of anything
that will be stored or logged.

The request goes through core/outbound.py's guarded transport like the
outbound webhooks: in production mode an internal address is refused at
connection time unless HOTWASH_OUTBOUND_ALLOW lists it; redirects are not
followed (a routing key or API key must never be replayed to another host).
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from django.utils import timezone

from hotwash.core.outbound import GuardedTransport, OutboundRefused
from hotwash.notifications.channels import ChannelFailed

USER_AGENT = "Hotwash-Notifications/1"


def post_json(
    url: str,
    body: Mapping[str, Any],
    *,
    timeout: float,
    service: str,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST `body` as JSON to `url` once and return the answer, whatever its
    status; ChannelFailed (to be retried) when no answer came. `service`
    names the service in the message ("PagerDuty")."""
    try:
        with httpx.Client(
            timeout=timeout, follow_redirects=False, transport=GuardedTransport()
        ) as client:
            return client.post(
                url,
                json=dict(body),
                headers={"User-Agent": USER_AGENT, **(headers or {})},
            )
    except OutboundRefused as refused:
        raise ChannelFailed(f"{service}: {refused}") from None
    except httpx.TimeoutException:
        raise ChannelFailed(f"{service} did not answer within {timeout:g} seconds.") from None
    except httpx.HTTPError as error:
        raise ChannelFailed(
            f"{service} could not be reached ({type(error).__name__}: {error})."
        ) from None


def retry_after(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """The seconds a Retry-After header asks for (a number of seconds or an
    HTTP date), or None when there is none or it cannot be read."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or timezone.now())).total_seconds())


def json_of(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object, or {} when it is not one."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def scrub(text: str, *secrets: str) -> str:
    """`text` with every secret replaced, before it is stored or logged
    (a service may echo what it was sent in its error message)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text

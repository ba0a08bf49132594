"""The `webhook` channel: POST an event to the URL a rule names.

Subscriptions made in the admin or through /api/v1/webhooks are delivered
by notifications.tasks.deliver_webhook; this channel is for the rules file,
where an operator routes some events (say, SEV1 and SEV2 declarations) to
a receiver. The body is the envelope subscriptions get
(`{"delivery", "event", "occurred_at", "data"}`, built once from the
Delivery's id and the event's snapshot, so every attempt sends the same
bytes); the headers are theirs too, CloudEvents included. With
`secret_env`, the request is signed (X-Hotwash-Signature, HMAC-SHA256 of
timestamp "." body); without, it is not, and the docs say so.

Answers: 2xx is delivered; 408, 429 and 5xx are retried (Retry-After
honoured); any other 4xx fails at once, with the status shown.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hotwash.core.outbound import GuardedTransport, OutboundRefused
from hotwash.core.secret_env import (
    SecretEnvRefused,
    operator_env_name_problem,
    read_operator_env,
    read_secret_env,
)
from hotwash.notifications.channel_http import retry_after
from hotwash.notifications.channels import ChannelFailed, ChannelRejected
from hotwash.notifications.models import Delivery
from hotwash.notifications.routing import rules_name
from hotwash.notifications.webhooks import USER_AGENT, body_for, cloudevents_headers_for, sign

KIND = "webhook"
KEYS = ("url", "secret_env")
RETRIED = frozenset({408, 429})


class RuleWebhook:
    kind = KIND
    label = _("Webhook")
    reaches_people = False

    def check_target(self, target: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(target, Mapping):
            raise ValueError('webhook takes a mapping, e.g. {url: "https://hooks.example.org/x"}')
        unknown = sorted(set(target) - set(KEYS))
        if unknown:
            raise ValueError(f"webhook: unknown key {', '.join(unknown)}; known: {', '.join(KEYS)}")
        url = target.get("url")
        if not isinstance(url, str) or not url.strip():
            raise ValueError("webhook needs a url")
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook: url {url!r} must be an http or https address")
        checked: dict[str, Any] = {"url": url.strip()}
        name = target.get("secret_env")
        if name is not None:
            if (
                not isinstance(name, str)
                or (problem := operator_env_name_problem(name.strip())) is not None
            ):
                raise ValueError(f"webhook: secret_env {name}: {problem or 'give a name'}")
            checked["secret_env"] = name.strip()
        return checked

    def send(self, delivery: Delivery) -> int | None:
        event = delivery.event
        body = body_for(delivery.pk, event.type, event.data, event.occurred_at)
        raw = body.encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Hotwash-Event": event.type,
            "X-Hotwash-Delivery": str(delivery.pk),
            "X-Hotwash-Timestamp": timestamp,
            **cloudevents_headers_for(str(delivery.pk), event.type, body),
        }
        secret = _secret(str(delivery.target.get("secret_env") or ""))
        if secret:
            headers["X-Hotwash-Signature"] = sign(secret, timestamp, raw)
        url = str(delivery.target.get("url") or "")
        timeout = float(settings.WEBHOOK_TIMEOUT)
        try:
            with httpx.Client(
                timeout=timeout, follow_redirects=False, transport=GuardedTransport()
            ) as client:
                response = client.post(url, content=raw, headers=headers)
        except OutboundRefused as refused:
            raise ChannelFailed(f"Webhook: {refused}") from None
        except httpx.TimeoutException:
            raise ChannelFailed(f"The webhook did not answer within {timeout:g} seconds.") from None
        except httpx.HTTPError as error:
            raise ChannelFailed(
                f"The webhook could not be reached ({type(error).__name__}: {error})."
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return status
        message = f"The webhook answered HTTP {status}."
        if status in RETRIED or status >= 500:
            raise ChannelFailed(message, status_code=status, retry_after=retry_after(response))
        raise ChannelRejected(message, status_code=status)


def _secret(name: str) -> str:
    """The signing secret the target names ("" for none). A name the rules
    file in force gives is the operator's; any other (a row changed since)
    must be a HOTWASH_SECRET_ variable."""
    if not name:
        return ""
    read = read_operator_env if rules_name(KIND, "secret_env", name) else read_secret_env
    try:
        value = read(name)
    except SecretEnvRefused as refused:
        raise ChannelRejected(f"Webhook signing secret: {refused}") from None
    if not value:
        raise ChannelRejected(
            f"The webhook's signing secret is unavailable: the environment variable {name} "
            "is not set or empty in the worker."
        )
    return value

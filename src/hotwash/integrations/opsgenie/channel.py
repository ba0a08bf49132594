"""Opsgenie as a notification channel (kind "opsgenie").

    create: POST {HOTWASH_OPSGENIE_API_URL}/v2/alerts
            Authorization: GenieKey <key>
            {"message", "alias": "INC-42", "description", "priority": "P1",
             "tags", "details", "entity", "source": "Hotwash"}
    close:  POST {HOTWASH_OPSGENIE_API_URL}/v2/alerts/INC-42/close?identifierType=alias
            {"source": "Hotwash", "note"}

Both answer 202 {"result": "Request will be processed", "took", "requestId"}
(Opsgenie processes requests asynchronously). A rule's target names the
API key of an Opsgenie API integration, never holds it:

    opsgenie: {api_key_env: HOTWASH_SECRET_OPSGENIE_KEY}

(a HOTWASH_SECRET_ variable, core/secret_env.py). Answers: 2xx sent; 429
and 5xx retried (no sooner than a Retry-After says); any other 4xx (401 a
wrong key, 422 a refused alert) fails at once with Opsgenie's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hotwash.core.secret_env import (
    SecretEnvRefused,
    operator_env_name_problem,
    read_operator_env,
    read_secret_env,
)
from hotwash.notifications.channel_http import json_of, post_json, retry_after, scrub
from hotwash.notifications.channels import ChannelFailed, ChannelRejected
from hotwash.notifications.events import EventType
from hotwash.notifications.models import Delivery, Event
from hotwash.notifications.routing import rules_name

SERVICE = "Opsgenie"
SOURCE = "Hotwash"
ENV = "api_key_env"
# Opsgenie's documented limits.
MESSAGE_LIMIT = 130
ALIAS_LIMIT = 512
DESCRIPTION_LIMIT = 15000
DETAIL_LIMIT = 8000
ERROR_DETAIL_LIMIT = 500

PRIORITIES = {1: "P1", 2: "P2", 3: "P3", 4: "P4"}
CLOSING_EVENTS = frozenset({EventType.INCIDENT_RESOLVED, EventType.INCIDENT_CLOSED})
OVER = frozenset({"resolved", "closed"})


class Opsgenie:
    kind = "opsgenie"
    label = _("Opsgenie")
    reaches_people = False

    def check_target(self, target: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(target, Mapping) or set(target) != {ENV}:
            raise ValueError(
                "opsgenie takes exactly api_key_env (the environment variable holding the "
                "API integration's key), e.g. {api_key_env: HOTWASH_SECRET_OPSGENIE_KEY}"
            )
        name = target[ENV]
        if (
            not isinstance(name, str)
            or (problem := operator_env_name_problem(name.strip())) is not None
        ):
            raise ValueError(f"opsgenie: api_key_env {name}: {problem or 'give a name'}")
        return {ENV: name.strip()}

    def send(self, delivery: Delivery) -> int | None:
        event = delivery.event
        incident = event.data.get("incident") or {}
        ref = str(incident.get("ref") or "")[:ALIAS_LIMIT]
        if not ref:
            raise ChannelRejected(f"A {event.type} event has no incident to alert about.")
        key = _api_key(str(delivery.target.get(ENV) or ""))
        base = settings.OPSGENIE_API_URL
        if event.type in CLOSING_EVENTS or incident.get("status") in OVER:
            url = f"{base}/v2/alerts/{quote(ref, safe='')}/close?identifierType=alias"
            body: dict[str, Any] = {"source": SOURCE, "note": f"{event.type} in Hotwash"}
        else:
            url = f"{base}/v2/alerts"
            body = alert_body(event, incident)
        response = post_json(
            url,
            body,
            timeout=settings.PAGER_TIMEOUT,
            service=SERVICE,
            headers={"Authorization": f"GenieKey {key}"},
        )
        status = response.status_code
        if 200 <= status < 300:
            return status
        detail = scrub(_error_detail(response), key)
        if status == 429 or status >= 500:
            raise ChannelFailed(
                f"Opsgenie answered HTTP {status}{detail}",
                status_code=status,
                retry_after=retry_after(response),
            )
        raise ChannelRejected(
            f"Opsgenie refused the request (HTTP {status}){detail}", status_code=status
        )


def alert_body(event: Event, incident: dict[str, Any]) -> dict[str, Any]:
    level = incident.get("severity")
    severity = level if isinstance(level, int) else 0
    services = [str(name) for name in incident.get("services") or []]
    url = str(incident.get("url") or "")
    title = str(incident.get("title") or "")
    message = (
        f"SEV{severity} {incident['ref']}: {title}" if severity else f"{incident['ref']}: {title}"
    )
    description = "\n\n".join(part for part in (str(incident.get("summary") or ""), url) if part)
    details = {
        "event": event.type,
        "status": str(incident.get("status") or ""),
        "services": ", ".join(services),
        "teams": ", ".join(str(slug) for slug in incident.get("teams") or []),
        "commander": str(incident.get("commander") or ""),
        "url": url,
    }
    body: dict[str, Any] = {
        "message": message[:MESSAGE_LIMIT],
        "alias": str(incident["ref"])[:ALIAS_LIMIT],
        "description": description[:DESCRIPTION_LIMIT],
        "priority": PRIORITIES.get(severity, "P1"),
        "tags": ["hotwash", f"SEV{severity}"] if severity else ["hotwash"],
        # Opsgenie's details are a map of strings to strings.
        "details": {key: value[:DETAIL_LIMIT] for key, value in details.items() if value},
        "source": SOURCE,
    }
    if services:
        body["entity"] = ", ".join(services)
    return body


def _api_key(name: str) -> str:
    # A name the rules file in force gives is the operator's; any other
    # (a row changed since) must be a HOTWASH_SECRET_ variable.
    read = read_operator_env if rules_name("opsgenie", ENV, name) else read_secret_env
    try:
        key = read(name).strip()
    except SecretEnvRefused as refused:
        raise ChannelRejected(f"Opsgenie API key: {refused}") from None
    if not key:
        raise ChannelRejected(
            f"Opsgenie API key unavailable: the environment variable {name} is not set or "
            "empty in the worker."
        )
    return key


def _error_detail(response: httpx.Response) -> str:
    message = str(json_of(response).get("message") or "").strip()
    return f": {message}"[:ERROR_DETAIL_LIMIT] if message else "."

"""PagerDuty as a notification channel (kind "pagerduty").

One delivery is one POST to the Events API v2 (HOTWASH_PAGERDUTY_EVENTS_URL,
by default https://events.pagerduty.com/v2/enqueue). PagerDuty's answers,
as documented:

- 202 {"status": "success", "message": "Event processed", "dedup_key"}: sent;
- 400 {"status": "invalid event", "message", "errors": [...]}: refused for
  good (a wrong routing key, a missing field): the delivery fails at once,
  with PagerDuty's message;
- 429 (too many events for this routing key) and 5xx: retried with
  backoff, no sooner than a Retry-After says (PagerDuty suggests 30 s
  between retries after a 429, which is the wait when it says nothing);
- no answer (network, timeout): retried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hotwash.integrations.pagerduty import keys
from hotwash.integrations.pagerduty.events import NotPageable, event_body
from hotwash.notifications.channel_http import json_of, post_json, retry_after, scrub
from hotwash.notifications.channels import ChannelFailed, ChannelRejected
from hotwash.notifications.models import Delivery, Event
from hotwash.notifications.routing import Planned, Rule

SERVICE = "PagerDuty"
# PagerDuty's advice after a 429 that gave no Retry-After.
RATE_LIMIT_WAIT = 30.0
ERROR_DETAIL_LIMIT = 500


class PagerDuty:
    kind = "pagerduty"
    label = _("PagerDuty")
    reaches_people = False

    def check_target(self, target: Mapping[str, Any]) -> dict[str, Any]:
        return keys.check_target(target)

    def send(self, delivery: Delivery) -> int | None:
        try:
            body = event_body(delivery.event)
        except NotPageable as reason:
            raise ChannelRejected(str(reason)) from None
        key = keys.routing_key(delivery.target)
        response = post_json(
            settings.PAGERDUTY_EVENTS_URL,
            {"routing_key": key, **body},
            timeout=settings.PAGER_TIMEOUT,
            service=SERVICE,
        )
        status = response.status_code
        if 200 <= status < 300:
            return status
        detail = scrub(_error_detail(response), key)
        if status == 429:
            raise ChannelFailed(
                f"PagerDuty is rate limiting this routing key (HTTP 429){detail}",
                status_code=status,
                retry_after=retry_after(response) or RATE_LIMIT_WAIT,
            )
        if status >= 500:
            raise ChannelFailed(
                f"PagerDuty failed (HTTP {status}){detail}",
                status_code=status,
                retry_after=retry_after(response),
            )
        raise ChannelRejected(
            f"PagerDuty refused the event (HTTP {status}){detail}", status_code=status
        )


def _error_detail(response: httpx.Response) -> str:
    """PagerDuty's own words: ": <message> (<errors>)", or ""."""
    data = json_of(response)
    message = str(data.get("message") or data.get("status") or "").strip()
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        joined = "; ".join(str(error) for error in errors)
        message = f"{message} ({joined})" if message else joined
    return f": {message}"[:ERROR_DETAIL_LIMIT] if message else "."


def expand(event: Event, rule: Rule, index: int, target: dict[str, Any]) -> Iterable[Planned]:
    """One delivery per routing key: the rule's own key, or each owning
    team's. The key names the source, not the rule, so two rules paging the
    same service for the same event page it once."""
    if keys.TEAM not in target:
        source = f"env:{target[keys.ENV]}" if keys.ENV in target else f"file:{target[keys.FILE]}"
        return [
            Planned(
                channel=PagerDuty.kind, key=f"pagerduty:{source}", target=target, rule=rule.name
            )
        ]
    teams = [str(slug) for slug in (event.data.get("incident") or {}).get("teams") or []]
    if not teams:
        # Paging no one must show: this delivery fails, saying why.
        return [
            Planned(
                channel=PagerDuty.kind,
                key=f"pagerduty:{rule.name}:{index}:no-owning-team",
                target={**target, "team": ""},
                rule=rule.name,
            )
        ]
    return [
        Planned(
            channel=PagerDuty.kind,
            key=f"pagerduty:team:{slug}",
            target={**target, "team": slug},
            rule=rule.name,
        )
        for slug in teams
    ]

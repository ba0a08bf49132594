"""Channels: the ways an event leaves Hotwash for a recipient (mail, a
pager, a webhook named by a rule, a chat platform).

Each channel is an integration (a folder under hotwash/integrations/) that
implements `Channel` and registers itself in `channels` when the
integrations app is ready. Routing (routing.py) writes one `Delivery` per
recipient naming the channel's kind; the task `deliver` (tasks.py) finds
the channel here and calls `send` once per attempt, retrying with backoff
when it raises `ChannelFailed` (honouring a `Retry-After` it was given).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from django.utils.functional import Promise

from hotwash.core.registry import Registry
from hotwash.notifications.models import Delivery


class ChannelFailed(Exception):
    """This attempt failed and another may succeed (a timeout, 5xx, 429).
    `retry_after` (seconds), when the service said how long to wait."""

    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


class ChannelRejected(ChannelFailed):
    """The service refused the request for good (a 4xx other than 429, a
    routing key it does not know): retrying would not help; the delivery
    is marked failed at once and shown."""


class ChannelSkipped(Exception):
    """This delivery is not to be sent after all (the recipient can no
    longer see the incident, or has no address): marked skipped with the
    reason, never retried."""


class Channel(Protocol):
    """What every channel integration implements."""

    @property
    def kind(self) -> str:
        """The key in a rule's `send` list and in Delivery.channel, e.g. "pagerduty"."""

    @property
    def label(self) -> str | Promise:
        """Its name for people, e.g. "PagerDuty"."""

    @property
    def reaches_people(self) -> bool:
        """True when each delivery goes to one person (mail): a private
        incident's events then go only to people who can see it. False for
        pagers, webhooks and chat, which get a private incident's events
        only through rules that say `private: true`."""

    def check_target(self, target: Mapping[str, Any]) -> dict[str, Any]:
        """The rule's target for this channel, validated and normalised
        (the policy file is checked at start-up); ValueError naming what is
        wrong otherwise."""

    def send(self, delivery: Delivery) -> int | None:
        """Send the delivery once (its event is `delivery.event`); return
        the HTTP status the service answered, if any. Raise ChannelFailed
        to be retried, ChannelRejected to give up, ChannelSkipped not to
        send it at all.

        A channel that sends many deliveries more cheaply together (mail over
        one SMTP connection) may also have `batch_size` (an int > 1) and
        `send_many(deliveries)`, which returns one outcome per delivery, in
        order: the HTTP status (or None) or the exception `send` would have
        raised. Routing then queues one `deliver_batch` task per
        `batch_size` new deliveries of that channel instead of one `deliver`
        each; retries go through `deliver`, one delivery at a time."""


channels: Registry[Channel] = Registry("notification channel")

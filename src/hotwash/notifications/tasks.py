"""The tasks the worker runs to send what the scans and signals decided.

One task per message: a slow or failing SMTP server or webhook receiver
delays only its own message, never a scan. A failed attempt records its
error on the ledger row (or delivery), enqueues the next attempt with
exponential backoff (hotwash.jobs.retry) and re-raises, so the failed task
also shows, with its traceback, among the task results in the admin. After
the last attempt the row is marked failed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from hotwash.jobs.retry import retry_later
from hotwash.notifications.channels import (
    ChannelFailed,
    ChannelRejected,
    ChannelSkipped,
    channels,
)
from hotwash.notifications.emails import Skip, build_email
from hotwash.notifications.models import (
    Delivery,
    DeliveryStatus,
    SentNotification,
    WebhookDelivery,
)
from hotwash.notifications.webhooks import post

logger = logging.getLogger("hotwash.notifications")

ERROR_LIMIT = 2000
# What settings.py chooses when no SMTP server is configured.
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
DONE = (DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.FAILED)


class WebhookRefused(RuntimeError):
    """The receiver answered with a status other than 2xx."""


@task()
def deliver_notification(notification_id: int, attempt: int = 1) -> str:
    notification = (
        SentNotification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None or notification.status in DONE:
        return "nothing to do"
    recipient = notification.recipient
    if not recipient.email or not recipient.is_active:
        _finish(notification, DeliveryStatus.SKIPPED, "The recipient has no email address.")
        return "skipped"
    message = build_email(notification)
    if isinstance(message, Skip):
        # The builder says why (no longer due, or the recipient can no
        # longer see the incident): the ledger keeps it as it is.
        _finish(notification, DeliveryStatus.SKIPPED, message.reason)
        return "skipped"
    _warn_if_not_configured()
    try:
        message.send()
    except Exception as error:
        _failed(notification, attempt, error)
        raise
    notification.status = DeliveryStatus.SENT
    notification.attempts = attempt
    notification.sent_at = timezone.now()
    notification.last_error = ""
    notification.next_attempt_at = None
    notification.save(
        update_fields=["status", "attempts", "sent_at", "last_error", "next_attempt_at"]
    )
    logger.info("Sent %s to %s", notification.kind, recipient.email)
    return "sent"


_warned: list[bool] = []


def _warn_if_not_configured() -> None:
    if not _warned and settings.EMAIL_BACKEND == CONSOLE_BACKEND:
        _warned.append(True)
        logger.warning(
            "Email is not configured (HOTWASH_SMTP_URL or HOTWASH_EMAIL_HOST): messages are "
            "printed here instead of sent."
        )


def _finish(notification: SentNotification, status: str, note: str) -> None:
    notification.status = status
    notification.last_error = note
    notification.save(update_fields=["status", "last_error"])


def _failed(notification: SentNotification, attempt: int, error: Exception) -> None:
    next_at = retry_later(deliver_notification, notification.pk, attempt=attempt)
    notification.attempts = attempt
    notification.last_error = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
    notification.status = DeliveryStatus.RETRYING if next_at else DeliveryStatus.FAILED
    notification.next_attempt_at = next_at
    notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
    logger.warning(
        "Sending %s %s failed (attempt %d): %s", notification.kind, notification.pk, attempt, error
    )


@task()
def deliver_webhook(delivery_id: str, attempt: int = 1) -> str:
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in DONE:
        return "nothing to do"
    if not delivery.subscription.active:
        delivery.status = DeliveryStatus.SKIPPED
        delivery.last_error = "The subscription was switched off."
        delivery.save(update_fields=["status", "last_error"])
        return "skipped"
    delivery.attempts = attempt
    try:
        status_code = post(delivery, settings.WEBHOOK_TIMEOUT)
        delivery.last_status_code = status_code
        if not 200 <= status_code < 300:
            raise WebhookRefused(f"The receiver answered HTTP {status_code}.")
    except Exception as error:
        next_at = retry_later(deliver_webhook, delivery_id, attempt=attempt)
        delivery.last_error = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
        delivery.status = DeliveryStatus.RETRYING if next_at else DeliveryStatus.FAILED
        delivery.next_attempt_at = next_at
        delivery.save()
        logger.warning("Webhook delivery %s failed (attempt %d): %s", delivery_id, attempt, error)
        raise
    delivery.status = DeliveryStatus.SENT
    delivery.delivered_at = timezone.now()
    delivery.last_error = ""
    delivery.next_attempt_at = None
    delivery.save()
    return "delivered"


@task()
def deliver(delivery_id: str, attempt: int = 1) -> str:
    """Send one routed delivery through its channel (channels.py)."""
    delivery = Delivery.objects.select_related("event").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in DONE:
        return "nothing to do"
    channel = channels.find(delivery.channel)
    if channel is None:
        delivery.attempts = attempt
        _give_up(delivery, f"No channel {delivery.channel!r} is installed.")
        delivery.save()
        return "failed"
    outcome: int | Exception | None
    try:
        outcome = channel.send(delivery)
    except Exception as error:
        outcome = error
    result = settle(delivery, attempt, outcome)
    delivery.save()
    if result == "retrying" or (result == "failed" and _retryable(outcome)):
        # Re-raised so the failed task shows, with its traceback, in the admin.
        assert isinstance(outcome, Exception)
        raise outcome
    return result


@task()
def deliver_batch(delivery_ids: list[str]) -> str:
    """Send the first attempt of several deliveries of one channel together
    (a channel with `send_many`: mail over one SMTP connection). Each keeps
    its own status, attempts and error; each failed one is retried alone
    through `deliver`."""
    deliveries = list(
        Delivery.objects.select_related("event", "event__incident")
        .filter(pk__in=delivery_ids)
        .exclude(status__in=DONE)
        .order_by("created_at", "key")
    )
    if not deliveries:
        return "nothing to do"
    results: dict[str, int] = {}
    by_channel: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_channel.setdefault(delivery.channel, []).append(delivery)
    for kind, group in by_channel.items():
        channel = channels.find(kind)
        send_many = getattr(channel, "send_many", None)
        outcomes: list[int | Exception | None]
        if channel is None:
            outcomes = [ChannelRejected(f"No channel {kind!r} is installed.")] * len(group)
        elif send_many is None:
            outcomes = [_send_one(channel, delivery) for delivery in group]
        else:
            outcomes = list(send_many(group))
        now = timezone.now()
        for delivery, outcome in zip(group, outcomes, strict=True):
            result = settle(delivery, delivery.attempts + 1, outcome, now=now)
            results[result] = results.get(result, 0) + 1
        _save_settled(group)
    return ", ".join(f"{count} {result}" for result, count in sorted(results.items()))


SETTLED_FIELDS = [
    "status",
    "attempts",
    "last_status_code",
    "last_error",
    "next_attempt_at",
    "delivered_at",
]


def _save_settled(deliveries: list[Delivery]) -> None:
    """Save each delivery's outcome: one UPDATE per distinct outcome (most
    of a batch was sent alike), not one per row."""
    same: dict[tuple[Any, ...], list[Any]] = {}
    for delivery in deliveries:
        values = tuple(getattr(delivery, name) for name in SETTLED_FIELDS)
        same.setdefault(values, []).append(delivery.pk)
    for values, ids in same.items():
        Delivery.objects.filter(pk__in=ids).update(**dict(zip(SETTLED_FIELDS, values, strict=True)))


def _send_one(channel: Any, delivery: Delivery) -> int | Exception | None:
    try:
        return cast(int | None, channel.send(delivery))
    except Exception as error:
        return error


def _retryable(outcome: object) -> bool:
    return isinstance(outcome, Exception) and not isinstance(
        outcome, ChannelRejected | ChannelSkipped
    )


def settle(
    delivery: Delivery,
    attempt: int,
    outcome: int | Exception | None,
    *,
    now: datetime | None = None,
) -> str:
    """Record one attempt's outcome on `delivery` (not saved): sent, skipped,
    failed for good, or retrying (the next attempt queued with backoff)."""
    delivery.attempts = attempt
    if isinstance(outcome, ChannelSkipped):
        delivery.status = DeliveryStatus.SKIPPED
        delivery.last_error = str(outcome)[:ERROR_LIMIT]
        delivery.next_attempt_at = None
        return "skipped"
    if isinstance(outcome, ChannelRejected):
        delivery.last_status_code = outcome.status_code
        _give_up(delivery, str(outcome))
        logger.warning("Delivery %s refused by %s: %s", delivery.pk, delivery.channel, outcome)
        return "failed"
    if isinstance(outcome, Exception):
        if isinstance(outcome, ChannelFailed):
            delivery.last_status_code = outcome.status_code
        wait = outcome.retry_after if isinstance(outcome, ChannelFailed) else None
        next_at = retry_later(deliver, str(delivery.pk), attempt=attempt, at_least=wait)
        delivery.last_error = f"{type(outcome).__name__}: {outcome}"[:ERROR_LIMIT]
        delivery.status = DeliveryStatus.RETRYING if next_at else DeliveryStatus.FAILED
        delivery.next_attempt_at = next_at
        logger.warning(
            "Delivery %s through %s failed (attempt %d): %s",
            delivery.pk,
            delivery.channel,
            attempt,
            outcome,
        )
        return "retrying" if next_at else "failed"
    delivery.last_status_code = outcome
    delivery.status = DeliveryStatus.SENT
    delivery.delivered_at = now or timezone.now()
    delivery.last_error = ""
    delivery.next_attempt_at = None
    return "delivered"


def _give_up(delivery: Delivery, reason: str) -> None:
    delivery.status = DeliveryStatus.FAILED
    delivery.last_error = reason[:ERROR_LIMIT]
    delivery.next_attempt_at = None

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

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from hotwash.jobs.retry import retry_later
from hotwash.notifications.channels import ChannelFailed, ChannelRejected, channels
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
    delivery.attempts = attempt
    if channel is None:
        _give_up(delivery, f"No channel {delivery.channel!r} is installed.")
        return "failed"
    try:
        delivery.last_status_code = channel.send(delivery)
    except ChannelRejected as error:
        delivery.last_status_code = error.status_code
        _give_up(delivery, str(error))
        logger.warning("Delivery %s refused by %s: %s", delivery_id, delivery.channel, error)
        return "failed"
    except Exception as error:
        if isinstance(error, ChannelFailed):
            delivery.last_status_code = error.status_code
        wait = error.retry_after if isinstance(error, ChannelFailed) else None
        next_at = retry_later(deliver, delivery_id, attempt=attempt, at_least=wait)
        delivery.last_error = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
        delivery.status = DeliveryStatus.RETRYING if next_at else DeliveryStatus.FAILED
        delivery.next_attempt_at = next_at
        delivery.save()
        logger.warning(
            "Delivery %s through %s failed (attempt %d): %s",
            delivery_id,
            delivery.channel,
            attempt,
            error,
        )
        raise
    delivery.status = DeliveryStatus.SENT
    delivery.delivered_at = timezone.now()
    delivery.last_error = ""
    delivery.next_attempt_at = None
    delivery.save()
    return "delivered"


def _give_up(delivery: Delivery, reason: str) -> None:
    delivery.status = DeliveryStatus.FAILED
    delivery.last_error = reason[:ERROR_LIMIT]
    delivery.next_attempt_at = None
    delivery.save()

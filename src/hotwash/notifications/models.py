"""What Hotwash sends, to whom, and what it has already sent.

`SentNotification` is the ledger: one row per (kind, object, recipient,
slot), enforced by a unique constraint. A scan inserts the rows for what is
due in the same transaction as the tasks that deliver them, so a reminder is
decided once, whatever number of workers scan at the same time; the row then
follows the email's fate (pending, sent, retrying, failed, skipped).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ACTION_DUE_SOON = "action_item.due_soon", _("Action item due soon")
    ACTION_OVERDUE = "action_item.overdue", _("Action item overdue")
    POSTMORTEM_DUE_SOON = "postmortem.due_soon", _("Postmortem due soon")
    POSTMORTEM_OVERDUE = "postmortem.overdue", _("Postmortem overdue")
    DIGEST = "digest", _("Weekly digest")


# Reminders before a due date can be muted; overdue notices cannot.
MUTABLE_REMINDERS = (Kind.ACTION_DUE_SOON, Kind.POSTMORTEM_DUE_SOON)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")


class NotificationPreference(models.Model):
    """A person's choices about email. Without a row, everything is sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    digests_muted = models.BooleanField(_("no weekly digest"), default=False)
    reminders_muted = models.BooleanField(_("no reminders before due dates"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class SentNotification(models.Model):
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    # The action item's or postmortem's id; the recipient's id for a digest.
    object_id = models.PositiveBigIntegerField(_("object"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    # The due date the reminder is about (a new due date is a new reminder),
    # or the Monday of the digest's week.
    slot = models.DateField(_("slot"))
    created_at = models.DateTimeField(_("decided at"))
    # The scan that inserted the row: how it finds out which rows are its
    # own after an INSERT that skips rows another worker inserted first.
    batch = models.UUIDField(editable=False, db_index=True)
    status = models.CharField(
        _("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "recipient", "slot"], name="notification_sent_once"
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="notification_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} → {self.recipient_id} ({self.slot})"


class WebhookEvent(models.TextChoices):
    ACTION_CREATED = "action_item.created", _("Action item created")
    ACTION_CHANGED = "action_item.changed", _("Action item changed")
    ACTION_DONE = "action_item.done", _("Action item done")
    ACTION_DUE_SOON = "action_item.due_soon", _("Action item due soon")
    ACTION_OVERDUE = "action_item.overdue", _("Action item overdue")
    POSTMORTEM_DUE_SOON = "postmortem.due_soon", _("Postmortem due soon")
    POSTMORTEM_OVERDUE = "postmortem.overdue", _("Postmortem overdue")
    POSTMORTEM_CREATED = "postmortem.created", _("Postmortem created")
    POSTMORTEM_STATUS_CHANGED = "postmortem.status_changed", _("Postmortem status changed")


def validate_events(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_('List event names, for example ["action_item.overdue"].'))
    unknown = sorted(set(value) - set(WebhookEvent.values))
    if unknown:
        raise ValidationError(
            _("Unknown events: %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(WebhookEvent.values)}
        )


def validate_env_name(value: str) -> None:
    if value and not value.replace("_", "").isalnum():
        raise ValidationError(_("An environment variable name: letters, digits and _."))


class WebhookSubscription(models.Model):
    """A URL that receives signed JSON for some events (all when `events`
    is empty). The signing secret is stored here or, better, read from the
    environment variable `secret_env` names."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        validators=[validate_events],
        help_text=_("Event names; leave empty for every event."),
    )
    secret = models.CharField(_("secret"), max_length=200, blank=True)
    secret_env = models.CharField(
        _("secret from environment variable"),
        max_length=100,
        blank=True,
        validators=[validate_env_name],
        help_text=_("The name of an environment variable of the worker that holds the secret."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.secret and not self.secret_env:
            raise ValidationError(
                _("Give a secret, or the environment variable that holds it."),
                code="no_secret",
            )

    def wants(self, event: str) -> bool:
        return self.active and (not self.events or event in self.events)


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one subscription. The body is kept
    exactly as first built, so every attempt sends the same bytes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=32, choices=WebhookEvent.choices)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created"))
    status = models.CharField(
        _("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="webhook_delivery_status_idx")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id}"

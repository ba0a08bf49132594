"""What Hotwash sends, to whom, and what it has already sent.

`SentNotification` is the ledger: one row per (kind, object, recipient,
slot), enforced by a unique constraint. A scan inserts the rows for what is
due in the same transaction as the tasks that deliver them, so a reminder is
decided once, whatever number of workers scan at the same time; the row then
follows the email's fate (pending, sent, retrying, failed, skipped).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotwash.core.crypto import SecretUndecryptable, decrypt, encrypt
from hotwash.core.outbound import OutboundRefused, check_url
from hotwash.core.secret_env import disallowed_names, stored_rows, validate_secret_env_name
from hotwash.notifications.events import EventType


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


# The events of what a person follows that can reach them by mail, and those
# that do until they choose (preferences page).
FOLLOWABLE_EVENTS = (
    EventType.INCIDENT_DECLARED,
    EventType.INCIDENT_SEVERITY_CHANGED,
    EventType.INCIDENT_STATUS_CHANGED,
    EventType.INCIDENT_ROLE_ASSIGNED,
    EventType.INCIDENT_UPDATE_PUBLISHED,
    EventType.INCIDENT_RESOLVED,
    EventType.INCIDENT_CLOSED,
)
DEFAULT_FOLLOWED_EVENTS = (
    EventType.INCIDENT_DECLARED,
    EventType.INCIDENT_SEVERITY_CHANGED,
    EventType.INCIDENT_UPDATE_PUBLISHED,
    EventType.INCIDENT_RESOLVED,
)


def default_followed_events() -> list[str]:
    return [str(event) for event in DEFAULT_FOLLOWED_EVENTS]


class NotificationPreference(models.Model):
    """A person's choices about email. Without a row, everything is sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    digests_muted = models.BooleanField(_("no weekly digest"), default=False)
    reminders_muted = models.BooleanField(_("no reminders before due dates"), default=False)
    # Which events of the incidents and services the person follows reach
    # them by mail (FOLLOWABLE_EVENTS); an empty list mutes them all.
    followed_events = models.JSONField(
        _("events mailed for what I follow"), default=default_followed_events, blank=True
    )
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


# The webhook events are the whole catalogue (events.py); the old name stays
# for migrations and callers.
WebhookEvent = EventType


def validate_events(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_('List event names, for example ["action_item.overdue"].'))
    unknown = sorted(set(value) - set(EventType.values))
    if unknown:
        raise ValidationError(
            _("Unknown events: %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(EventType.values)}
        )


def validate_env_name(value: str) -> None:
    """Kept under this name for migration 0001; the rule is in core/secret_env.py."""
    validate_secret_env_name(value)


class WebhookSubscription(models.Model):
    """A URL that receives signed JSON for some events (all when `events`
    is empty). The signing secret is stored here encrypted (`secret`
    encrypts and decrypts, see core/crypto.py) or read from the environment
    variable `secret_env` names, which must start with HOTWASH_SECRET_.
    In production mode the URL must not point at an internal address
    (core/outbound.py)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        validators=[validate_events],
        help_text=_("Event names; leave empty for every event."),
    )
    # Fernet token of the signing secret; never the secret itself.
    secret_encrypted = models.TextField(_("secret (encrypted)"), blank=True, editable=False)
    secret_env = models.CharField(
        _("secret from environment variable"),
        max_length=100,
        blank=True,
        validators=[validate_env_name],
        help_text=_(
            "Or the name of an environment variable of the worker that holds the secret; "
            "it must start with HOTWASH_SECRET_."
        ),
    )
    # A private incident's events reach a non-person channel only when it
    # says so (notification rules say `private: true`; a subscription this).
    include_private = models.BooleanField(
        _("include private incidents"),
        default=False,
        help_text=_(
            "Also send events of private incidents. Leave off unless the receiver is as "
            "restricted as the incidents themselves."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret(self) -> str:
        """The signing secret stored here ("" if none); SecretUndecryptable
        if the encryption key changed since it was saved."""
        return decrypt(self.secret_encrypted) if self.secret_encrypted else ""

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = encrypt(value) if value else ""

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if not self.secret_encrypted and not self.secret_env:
            errors[NON_FIELD_ERRORS] = ValidationError(
                _("Give a secret, or the environment variable that holds it."),
                code="no_secret",
            )
        try:
            check_url(self.url)
        except OutboundRefused as refused:
            errors["url"] = ValidationError(str(refused), code="outbound_refused")
        if errors:
            raise ValidationError(errors)

    def wants(self, event: str, *, private: bool = False) -> bool:
        if private and not self.include_private:
            return False
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
    event = models.CharField(_("event"), max_length=40, choices=EventType.choices)
    # The outbox event this delivery carries (None for deliveries made before
    # the outbox existed).
    source = models.ForeignKey(
        "Event",
        verbose_name=_("event record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_deliveries",
    )
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


class Event(models.Model):
    """The outbox: one row per thing that happened, written in the
    transaction of the change (outbox.emit_event). `data` is the JSON
    snapshot every channel renders from, so a delivery retried tomorrow
    says what was true when the event happened."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("event"), max_length=40, choices=EventType.choices)
    occurred_at = models.DateTimeField(_("happened at"))
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    # The incident's privacy when the event happened: a private incident's
    # events reach only people who can see it and rules that say private.
    private = models.BooleanField(_("private"), default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    data = models.JSONField(_("data"), default=dict)
    # Set by routing.route_event in the transaction that wrote the deliveries.
    routed_at = models.DateTimeField(_("routed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["incident", "-occurred_at"], name="event_incident_idx"),
            models.Index(fields=["type", "-occurred_at"], name="event_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.occurred_at:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    """One event to one recipient through one channel: a mail to a person,
    a page to a PagerDuty service, a post to a webhook named by a rule.
    `key` names the recipient within the event (for example
    "email:user:12" or "pagerduty:page-platform:0") and is unique per
    event, so routing an event twice writes nothing new."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # The integration's kind in the channel registry (channels.py).
    channel = models.CharField(_("channel"), max_length=32)
    key = models.CharField(_("recipient key"), max_length=255)
    # The rule that chose this delivery ("" for followers and subscribers).
    rule = models.CharField(_("rule"), max_length=100, blank=True)
    # What the channel needs to send, as the rule (or follow) gave it,
    # environment variable names rather than secrets.
    target = models.JSONField(_("target"), default=dict)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
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
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "key"], name="delivery_once_per_recipient")
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="delivery_status_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.channel} {self.key}"


class Follow(models.Model):
    """Someone follows an incident or a service: its events reach them by
    mail, filtered by their preferences (which events), in their language."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="follows",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follows",
    )
    service = models.ForeignKey(
        "incidents.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follows",
    )
    created_at = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(incident__isnull=False, service__isnull=True)
                    | models.Q(incident__isnull=True, service__isnull=False)
                ),
                name="follow_one_thing",
            ),
            models.UniqueConstraint(
                fields=["user", "incident"],
                condition=models.Q(incident__isnull=False),
                name="follow_incident_once",
            ),
            models.UniqueConstraint(
                fields=["user", "service"],
                condition=models.Q(service__isnull=False),
                name="follow_service_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.incident_id or self.service_id}"


@checks.register(checks.Tags.database)
def check_webhook_secrets(
    *,
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """Flag (never change) subscriptions saved before the rules: a variable
    name Hotwash refuses to read, or a secret the current key cannot
    decrypt. Runs with `hotwash check --database default` and `hotwash migrate`."""
    messages: list[checks.CheckMessage] = []
    for alias in databases or []:
        subscriptions = WebhookSubscription.objects.using(alias).only(
            "pk", "name", "secret_env", "secret_encrypted"
        )
        for row, _field, name in disallowed_names(subscriptions, ["secret_env"]):
            messages.append(
                checks.Warning(
                    f"Webhook subscription {row}: secret_env names {name}, which Hotwash "
                    "does not read (names stored in the database must start with "
                    "HOTWASH_SECRET_); its deliveries fail until an admin changes it.",
                    obj=row,
                    id="notifications.W001",
                )
            )
        for row in stored_rows(subscriptions.exclude(secret_encrypted="")):
            try:
                row.secret  # noqa: B018  (decrypting is the check)
            except SecretUndecryptable as error:
                messages.append(
                    checks.Warning(
                        f"Webhook subscription {row}: {error}", obj=row, id="notifications.W002"
                    )
                )
    return messages

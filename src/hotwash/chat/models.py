"""What Hotwash remembers about chat platforms: each incident's own
conversation, which chat user is which account, which platform events
were already handled (platforms retry), and which messages were added to a
timeline from the conversation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotwash.incidents.models import Incident, TimelineEvent


class Platform(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"


class ChatConversation(models.Model):
    """An incident's own conversation on a platform: a Slack channel, a
    Teams channel, chat or thread. Every change to the incident is posted
    there, in its language."""

    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="chat_conversations",
    )
    # The platform's identifier (Slack's channel id "C0123", a Teams
    # conversation id) and its name for people ("inc-42-checkout-fails").
    # Empty while it is being opened: the row is written with the request
    # (in the transaction that declared the incident), the platform's
    # channel opens it in the worker (a Delivery, so retried and shown).
    conversation_id = models.CharField(_("conversation id"), max_length=255, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    # Where replies go on platforms that say so per conversation (Teams'
    # serviceUrl); empty for Slack.
    service_url = models.CharField(_("service address"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    # Created private (a private incident's channel): only then may a
    # private incident's changes be posted to it.
    private = models.BooleanField(_("private"), default=False)
    # Who asked for it (their id on the platform), invited first.
    requested_by = models.CharField(_("requested by"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("chat conversation")
        verbose_name_plural = _("chat conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "conversation_id"],
                condition=~models.Q(conversation_id=""),
                name="chat_conversation_once",
            ),
            models.UniqueConstraint(
                fields=["platform", "incident"], name="chat_one_conversation_per_incident"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.name or self.conversation_id or self.incident_id}"

    @property
    def is_open(self) -> bool:
        return bool(self.conversation_id)


class LinkedBy(models.TextChoices):
    EMAIL = "email", _("Verified email address")
    PERSON = "person", _("Linked by the person")


class ChatIdentity(models.Model):
    """A chat platform's user is this Hotwash account."""

    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    external_id = models.CharField(_("user id on the platform"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="chat_identities",
    )
    display_name = models.CharField(_("name on the platform"), max_length=255, blank=True)
    linked_by = models.CharField(_("linked by"), max_length=16, choices=LinkedBy.choices)
    linked_at = models.DateTimeField(_("linked at"))

    class Meta:
        verbose_name = _("chat identity")
        verbose_name_plural = _("chat identities")
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="chat_identity_once")
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"


class ChatReceipt(models.Model):
    """A platform event already handled: platforms deliver again when they
    hear nothing in time (Slack's X-Slack-Retry-Num), and a retry must never
    do anything twice."""

    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    event_id = models.CharField(_("event id"), max_length=255)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("chat event received")
        verbose_name_plural = _("chat events received")
        constraints = [
            models.UniqueConstraint(fields=["platform", "event_id"], name="chat_receipt_once")
        ]
        indexes = [models.Index(fields=["received_at"], name="chat_receipt_age_idx")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.event_id}"


class ChatMessageEntry(models.Model):
    """A message of the conversation on the incident's timeline (pinned or
    marked with the timeline reaction). Unmarking it removes the entry."""

    conversation = models.ForeignKey(
        ChatConversation,
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="timeline_messages",
    )
    message_id = models.CharField(_("message id"), max_length=255)
    entry = models.OneToOneField(
        TimelineEvent,
        verbose_name=_("timeline entry"),
        on_delete=models.CASCADE,
        related_name="chat_message",
    )
    # How many marks keep it there (a reaction and a pin, or two people's
    # reactions): the entry goes when the last one is removed.
    marks = models.JSONField(_("marks"), default=list)
    created_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("chat message on a timeline")
        verbose_name_plural = _("chat messages on timelines")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "message_id"], name="chat_message_once")
        ]

    def __str__(self) -> str:
        return f"{self.conversation}:{self.message_id}"

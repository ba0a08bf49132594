"""Stakeholder updates, scheduled maintenance and status page subscribers.

An update is what the communications lead tells stakeholders about an
incident, in English and French: `internal` ones reach the incident's and
its services' followers, `public` ones the status page and its
subscribers. A private incident never appears on the status page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotwash.incidents.models import Incident, Service
from hotwash.notifications.models import DeliveryStatus


class Audience(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    PUBLIC = "public", _("Public")


class PublicStatus(models.TextChoices):
    """What the public reads, not necessarily the incident's own status."""

    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


class ServiceState(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    DEGRADED = "degraded", _("Degraded performance")
    OUTAGE = "outage", _("Outage")
    MAINTENANCE = "maintenance", _("Under maintenance")


class StakeholderUpdate(models.Model):
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="updates"
    )
    audience = models.CharField(
        _("audience"), max_length=8, choices=Audience.choices, default=Audience.INTERNAL
    )
    status = models.CharField(_("status"), max_length=16, choices=PublicStatus.choices)
    text_en = models.TextField(_("text (English)"), blank=True)
    text_fr = models.TextField(_("text (French)"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        verbose_name = _("stakeholder update")
        verbose_name_plural = _("stakeholder updates")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["audience", "-published_at"], name="update_audience_idx"),
            models.Index(fields=["incident", "-published_at"], name="update_incident_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.incident.ref} {self.audience} {self.status}"

    def text(self, language: str) -> str:
        """The text in `language`, falling back to the other one."""
        if language.startswith("fr"):
            return self.text_fr or self.text_en
        return self.text_en or self.text_fr


class Maintenance(models.Model):
    """Scheduled maintenance shown on the status page."""

    title_en = models.CharField(_("title (English)"), max_length=200)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    services = models.ManyToManyField(
        Service, verbose_name=_("services"), blank=True, related_name="maintenances"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("scheduled maintenance")
        verbose_name_plural = _("scheduled maintenance")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="maintenance_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title_en


class StatusSubscriber(models.Model):
    """Someone (no account needed) who gets the status page's public
    updates by mail, in their language, after confirming the address
    (double opt-in); unsubscribing is one click on a signed link."""

    email = models.EmailField(_("email address"))
    language = models.CharField(_("language"), max_length=8, default="en")
    # None: every public service; otherwise only these.
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="status_subscribers",
    )
    created_at = models.DateTimeField(_("subscribed at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # When the last confirmation mail was queued: a pending address gets
    # another one only after STATUS_CONFIRMATION_RESEND_MINUTES.
    confirmation_sent_at = models.DateTimeField(_("confirmation sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("status page subscriber")
        verbose_name_plural = _("status page subscribers")
        # Two partial constraints rather than one with nulls_distinct=False,
        # which SQLite cannot enforce: an address subscribes once to each
        # service and once to the whole page, on both databases.
        constraints = [
            models.UniqueConstraint(
                fields=["email", "service"],
                condition=models.Q(service__isnull=False),
                name="status_subscriber_once",
            ),
            models.UniqueConstraint(
                fields=["email"],
                condition=models.Q(service__isnull=True),
                name="status_subscriber_once_for_all",
            ),
        ]

    def __str__(self) -> str:
        return self.email


# A reminder's mail follows the fate of every other mail Hotwash sends.
ReminderStatus = DeliveryStatus


class UpdateReminder(models.Model):
    """One reminder that an incident is due a stakeholder update: the
    ledger that makes each one happen once. `due_at` is the moment the
    update was due (the last update, or the declaration, plus a whole
    number of the severity's intervals); one row per incident and moment,
    so a reminder goes out once per interval, whichever worker scans."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    due_at = models.DateTimeField(_("update due at"))
    created_at = models.DateTimeField(_("decided at"))
    batch = models.UUIDField(editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("update reminder")
        verbose_name_plural = _("update reminders")
        constraints = [
            models.UniqueConstraint(fields=["incident", "due_at"], name="update_reminder_once")
        ]
        indexes = [models.Index(fields=["batch"], name="update_reminder_batch_idx")]

    def __str__(self) -> str:
        return f"INC-{self.incident_id} update due {self.due_at:%Y-%m-%d %H:%M}"


class RenderedPage(models.Model):
    """The public status page and its feeds as served: rendered once per
    change (statuspage.pages), read by every web process's thin serving
    layer (statuspage.fast). `version` is the render generation that last
    changed the row; a process that has seen the highest one has every page."""

    path = models.CharField(_("path"), max_length=200, unique=True)
    body = models.BinaryField(_("body"))
    content_type = models.CharField(_("content type"), max_length=100)
    language = models.CharField(_("language"), max_length=8)
    etag = models.CharField(_("ETag"), max_length=80)
    version = models.PositiveBigIntegerField(_("version"), db_index=True)
    rendered_at = models.DateTimeField(_("rendered at"))

    class Meta:
        verbose_name = _("rendered status page")
        verbose_name_plural = _("rendered status pages")

    def __str__(self) -> str:
        return self.path

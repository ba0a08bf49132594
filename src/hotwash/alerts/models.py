"""Alert sources, alerts and alert groups.

An `AlertSource` is one monitoring system posting to one webhook endpoint
(of its kind: sources.py) with its own token. Every alert it sends is stored once per fingerprint
(`Alert`), and alerts are gathered into groups (`AlertGroup`): the source's
own group (Alertmanager's and Grafana's groupKey) or, for sources without
one, the alerts sharing the source's grouping labels. A group, not an alert,
is what opens an incident (the triggers app decides; see signals.py).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hotwash.alerts.sources import kind_choices
from hotwash.incidents.models import Incident

GROUP_KEY_MAX = 500
FINGERPRINT_MAX = 200


class AlertStatus(models.TextChoices):
    FIRING = "firing", pgettext_lazy("alert status", "Firing")
    RESOLVED = "resolved", pgettext_lazy("alert status", "Resolved")


def default_group_by() -> list[str]:
    return ["alertname", "service"]


class AlertSource(models.Model):
    """A monitoring system allowed to post alerts, with its own token. Only
    the token's SHA-256 digest is stored; the token is shown once."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    # The registered kinds (hotwash/integrations/): a function, so that
    # adding one needs no migration.
    kind = models.CharField(_("kind"), max_length=16, choices=kind_choices)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("token prefix"), max_length=12)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    enabled = models.BooleanField(
        _("enabled"),
        default=True,
        help_text=_("A disabled source's token is refused; its alerts stay."),
    )
    group_by = models.JSONField(
        _("grouping labels"),
        default=default_group_by,
        blank=True,
        help_text=_(
            "For alerts that carry no group key of their own: alerts with the same "
            "values of these labels form one group."
        ),
    )
    allowed_topic_arns = models.JSONField(
        _("allowed SNS topic ARNs"),
        default=list,
        blank=True,
        help_text=_(
            "Amazon SNS only: messages from other topics are refused. Empty: any topic "
            "(the message signature is still verified)."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert source")
        verbose_name_plural = _("alert sources")

    def __str__(self) -> str:
        return self.name


class AlertGroup(models.Model):
    """Alerts that belong together: the unit that opens (at most) one
    incident. A repeat notification updates it; it never makes a second."""

    source = models.ForeignKey(
        AlertSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="groups"
    )
    group_key = models.CharField(_("group key"), max_length=GROUP_KEY_MAX)
    labels = models.JSONField(_("common labels"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.FIRING
    )
    first_fired_at = models.DateTimeField(_("first fired"))
    last_notified_at = models.DateTimeField(_("last notified"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alert_groups",
    )
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        ordering = ["-last_notified_at", "-id"]
        verbose_name = _("alert group")
        verbose_name_plural = _("alert groups")
        constraints = [
            models.UniqueConstraint(fields=["source", "group_key"], name="alertgroup_source_key"),
        ]
        indexes = [
            models.Index(fields=["-last_notified_at", "-id"], name="alertgroup_recent_idx"),
            models.Index(
                fields=["status", "-last_notified_at", "-id"], name="alertgroup_status_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.group_key}"


class Alert(models.Model):
    """One alert, stored once per (source, fingerprint) however often it is
    notified; `notification_count` says how often."""

    source = models.ForeignKey(
        AlertSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="alerts"
    )
    # Indexed by alert_group_status_idx below, which starts with the group.
    group = models.ForeignKey(
        AlertGroup,
        verbose_name=_("group"),
        on_delete=models.CASCADE,
        related_name="alerts",
        db_index=False,
    )
    fingerprint = models.CharField(_("fingerprint"), max_length=FINGERPRINT_MAX)
    status = models.CharField(_("status"), max_length=16, choices=AlertStatus.choices)
    # The status before the latest notification ("" when it was the first):
    # lets one upsert statement tell new, re-fired and newly resolved alerts
    # apart without reading them first.
    previous_status = models.CharField(max_length=16, blank=True, default="")
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    annotations = models.JSONField(_("annotations"), default=dict, blank=True)
    starts_at = models.DateTimeField(_("started"))
    ends_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # Prometheus links carry the whole query, so they can be long.
    generator_url = models.TextField(_("source link"), blank=True)
    first_received_at = models.DateTimeField(_("first received"))
    last_received_at = models.DateTimeField(_("last received"))
    notification_count = models.PositiveIntegerField(_("notifications"), default=1)

    class Meta:
        ordering = ["-last_received_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(fields=["source", "fingerprint"], name="alert_source_fp"),
        ]
        indexes = [
            # A group's alerts, and "does it still have a firing alert?"
            # after each change. Deliberately nothing on the times: a repeat
            # notification then rewrites no index entry, and every insert
            # in a storm maintains one index fewer.
            models.Index(fields=["group", "status"], name="alert_group_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.fingerprint}"

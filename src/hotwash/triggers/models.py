"""What the trigger policies saw and did: each firing, the proposals people
answer, change events (deploys, rollbacks, reroutes) and heartbeats."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hotwash.incidents.models import Incident


class Trigger(models.TextChoices):
    DOWNTIME = "downtime", _("Downtime or degradation")
    DATA_LOSS = "data_loss", _("Data loss")
    ON_CALL_INTERVENTION = "on_call_intervention", _("On-call intervention")
    RESOLUTION_TIME = "resolution_time", _("Resolution time")
    MONITORING_FAILURE = "monitoring_failure", _("Monitoring failure")
    DETECTION_GAP = "detection_gap", _("Found without an alert")


class Mode(models.TextChoices):
    DECLARE = "declare", _("Declare")
    PROPOSE = "propose", _("Propose")
    NOTIFY = "notify", _("Notify")


class Action(models.TextChoices):
    """What a firing did."""

    DECLARED = "declared", _("Declared an incident")
    JOINED = "joined", _("Added to the open incident")
    PROPOSED = "proposed", _("Proposed")
    NOTIFIED = "notified", _("Notified")
    ESCALATED = "escalated", _("Escalated the incident")


class ChangeKind(models.TextChoices):
    DEPLOY = "deploy", _("Deploy")
    ROLLBACK = "rollback", _("Rollback")
    REROUTE = "reroute", _("Traffic reroute")


class ChangeEvent(models.Model):
    """A change to a service: a deploy, a rollback, a traffic reroute. A
    rollback or a reroute is an on-call intervention, which a policy can
    turn into an incident; `incident` is the incident it belongs to."""

    service = models.CharField(_("service"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ChangeKind.choices)
    version = models.CharField(_("version"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    occurred_at = models.DateTimeField(_("happened at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="change_events",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("change event")
        verbose_name_plural = _("change events")
        indexes = [models.Index(fields=["service", "-occurred_at"], name="change_service_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.service} {self.version}".strip()


class HeartbeatStatus(models.TextChoices):
    UP = "up", _("Up")
    DOWN = "down", _("Silent")


class Heartbeat(models.Model):
    """The last sign of life of a heartbeat named in the policy file. The
    row appears with the first ping; monitoring starts then."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=HeartbeatStatus.choices, default=HeartbeatStatus.UP
    )
    last_ping_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    # "api" for POST /api/v1/heartbeats/{name}, "alert" for a Watchdog alert.
    last_source = models.CharField(_("source"), max_length=16, blank=True)
    down_since = models.DateTimeField(_("silent since"), null=True, blank=True)
    # The incident of the current (or last) outage.
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return self.name


class PolicyFiring(models.Model):
    """One firing of one policy: which rule, on what (alerts, a change, a
    heartbeat, an incident), and what it did. `key` says what the firing is
    about (one group's episode, one change, one outage, one escalation
    level); the unique (policy, key) pair is how a firing is claimed, so two
    processes never act twice on the same thing."""

    policy_id = models.CharField(_("policy"), max_length=64)
    trigger = models.CharField(_("trigger"), max_length=32, choices=Trigger.choices)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    key = models.CharField(max_length=200)
    fired_at = models.DateTimeField(_("fired at"))
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policy_firings",
    )
    change = models.ForeignKey(
        ChangeEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="firings"
    )
    heartbeat = models.ForeignKey(
        Heartbeat, null=True, blank=True, on_delete=models.SET_NULL, related_name="firings"
    )
    # The alerts it saw: [{"id", "fingerprint", "alertname", "labels"}], at
    # most ALERTS_KEPT of them, and how many there were in all.
    alerts = models.JSONField(default=list, blank=True)
    alert_count = models.PositiveIntegerField(default=0)
    # Detail for people: threshold, severity before/after, labels, ...
    details = models.JSONField(default=dict, blank=True)
    full_postmortem = models.BooleanField(_("full postmortem required"), default=False)

    class Meta:
        ordering = ["fired_at", "id"]
        verbose_name = _("policy firing")
        verbose_name_plural = _("policy firings")
        constraints = [
            models.UniqueConstraint(fields=["policy_id", "key"], name="policy_firing_once"),
        ]
        indexes = [
            models.Index(fields=["incident", "fired_at"], name="firing_incident_idx"),
            models.Index(fields=["-fired_at", "-id"], name="firing_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.action} at {self.fired_at:%Y-%m-%d %H:%M}"


ALERTS_KEPT = 20


class ProposalKind(models.TextChoices):
    DECLARE = "declare", _("Declare an incident")
    ESCALATE = "escalate", _("Escalate the incident")
    ADD_DETECTION = "add-detection", _("Add detection")


class ProposalStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("proposal", "Open")
    ACCEPTED = "accepted", pgettext_lazy("proposal", "Accepted")
    DISMISSED = "dismissed", pgettext_lazy("proposal", "Dismissed")


class Proposal(models.Model):
    """A suggestion for the on-call person, accepted or dismissed with one
    click; either answer is recorded with who and when."""

    firing = models.OneToOneField(PolicyFiring, on_delete=models.CASCADE, related_name="proposal")
    kind = models.CharField(_("kind"), max_length=16, choices=ProposalKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    title = models.CharField(_("title"), max_length=200)
    # What accepting does: for "declare", the incident's fields (severity,
    # services, private, summary, detection_source); for "escalate", the
    # severity to move to; for "add-detection", the action item's fields.
    details = models.JSONField(default=dict, blank=True)
    # The incident it is about ("escalate", "add-detection") or, once a
    # "declare" proposal is accepted, the incident it opened.
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trigger_proposals",
    )
    created_at = models.DateTimeField(_("proposed at"))
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What accepting produced, e.g. {"action_item": 12}.
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        indexes = [
            models.Index(
                fields=["-created_at"], condition=Q(status="open"), name="proposal_open_idx"
            ),
            models.Index(fields=["incident", "status"], name="proposal_incident_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == ProposalStatus.OPEN

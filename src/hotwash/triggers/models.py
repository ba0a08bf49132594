"""What the trigger policies saw and did: each firing, the proposals people
answer, change events (deploys, rollbacks, reroutes) and heartbeats."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from hotwash.core.text import one_line
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


# The length of a proposal's title, and of an action item's.
TITLE_MAX = 200


def add_detection_title(subject: str) -> str:
    """The title of an add-detection proposal, and of the action item it
    makes, about the incident titled `subject`, in the active language."""
    title = one_line(gettext("Add detection for “%(title)s”") % {"title": subject})
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


def add_detection_description(ref: str) -> str:
    return gettext(
        "%(ref)s was found by a person, not by an alert. What would have caught it "
        "first: a check, an alert rule, a heartbeat?"
    ) % {"ref": ref}


def in_every_language(words: Callable[[str], str], value: str) -> dict[str, str]:
    """`words(value)` in each of the site's languages, by language code."""
    versions = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            versions[code] = words(value)
    return versions


# Why Hotwash itself withdrew a proposal (Proposal.result["withdrawn"]):
# detection was recorded as "alert" after the declaration. The sentence is
# worded at read time, in the reader's language (triggers.describe).
WITHDRAWN_DETECTED_BY_ALERT = "detected_by_alert"


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
    title = models.CharField(_("title"), max_length=TITLE_MAX)
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

    @property
    def display_title(self) -> str:
        """The title in the reader's language. Hotwash words an add-detection
        proposal itself, so it is worded when read, from the incident title
        in its details (`title` keeps the site language's wording); the
        other kinds carry the title of the incident they would open."""
        subject = self.details.get("subject")
        if self.kind == ProposalKind.ADD_DETECTION and isinstance(subject, str):
            return add_detection_title(subject)
        return self.title

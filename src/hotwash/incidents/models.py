from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

REF_PREFIX = "INC-"


class Status(models.TextChoices):
    TRIAGE = "triage", _("Triage")
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.TRIAGE, Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)
# Over: the impact has ended (resolved) and perhaps the follow-up too (closed).
ENDED_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Severity(models.IntegerChoices):
    SEV1 = 1, _("SEV1")
    SEV2 = 2, _("SEV2")
    SEV3 = 3, _("SEV3")
    SEV4 = 4, _("SEV4")


def severity_level(value: object) -> int | None:
    """The level `value` names: "SEV2", "sev2", "2" or 2 give 2; anything
    else gives None, for the caller to explain in its own words."""
    text = str(value).strip().upper().removeprefix("SEV")
    # isascii: "²" is a digit to str.isdigit but not to int().
    if text.isascii() and text.isdigit() and int(text) in Severity.values:
        return int(text)
    return None


class DetectionSource(models.TextChoices):
    """How the problem was detected. An incident declared without saying so
    has none (""): the incident page asks, rather than the declaration
    claiming an answer nobody gave."""

    ALERT = "alert", _("Alert")
    CUSTOMER = "customer", _("Customer report")
    STAFF = "staff", _("Staff")
    MONITORING_GAP = "monitoring-gap", _("Monitoring gap")
    OTHER = "other", _("Other")


class IncidentRole(models.TextChoices):
    COMMANDER = "commander", _("Incident commander")
    SCRIBE = "scribe", _("Scribe")
    COMMUNICATIONS = "communications", _("Communications lead")
    OPERATIONS = "operations", _("Operations lead")


# The impact times, in the order an incident usually passes through them.
IMPACT_TIME_FIELDS = (
    "impact_started_at",
    "detected_at",
    "declared_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
)


class Service(models.Model):
    """Something users depend on that an incident can affect."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    # The service catalog: who to reach and where to look. Its owning teams
    # are the teams that list it (teams.Team.services).
    escalation_contact = models.CharField(
        _("escalation contact"),
        max_length=200,
        blank=True,
        help_text=_("Who to reach when the owners do not answer: a person, a rota, an address."),
    )
    # [{"title": "...", "url": "https://..."}]
    runbooks = models.JSONField(_("runbooks"), default=list, blank=True)
    chat_channel = models.CharField(_("chat channel"), max_length=100, blank=True)
    # Shown on the public status page (with `public_name`, if the public
    # knows it by another name).
    public = models.BooleanField(
        _("on the status page"),
        default=False,
        help_text=_("Show this service and its state on the public status page."),
    )
    public_name = models.CharField(_("public name"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name


class Incident(models.Model):
    """An incident. Its human reference is INC-<id>; ids are never reused."""

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    impact = models.TextField(_("impact statement"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.INVESTIGATING
    )
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, default=Severity.SEV3
    )
    private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_("Visible only to participants and admins (security, personnel)."),
    )
    detection_source = models.CharField(
        _("detection source"),
        max_length=16,
        choices=DetectionSource.choices,
        blank=True,
        default="",  # not recorded yet
    )
    services = models.ManyToManyField(
        Service, verbose_name=_("services affected"), blank=True, related_name="incidents"
    )
    # The key of its incident type in the policy file (hotwash.policies:
    # incident_types); kept if the policy later drops the type.
    type = models.CharField(_("type"), max_length=40, default="outage")
    # The type's custom fields: {field key: value} (text, number, date as
    # ISO text, choice key, username, yes-no as true/false); validated by
    # hotwash.incidents.fields against the type's definitions.
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    # Set when this incident was merged into another as a duplicate: it is
    # closed, stays readable, and points to the survivor.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_duplicates",
    )
    participants: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Participant",
        related_name="incidents",
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("declared by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    impact_started_at = models.DateTimeField(_("impact started"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected"), null=True, blank=True)
    declared_at = models.DateTimeField(_("declared"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    mitigated_at = models.DateTimeField(_("mitigated"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"))
    # Raised by one by every change to the incident itself: a field (status,
    # severity, privacy, services, times, texts) or a role. Timeline entries,
    # tasks and participants leave it alone, so a note written meanwhile
    # never makes someone's form stale. The API sends it as the ETag and
    # honours If-Match; the incident page's forms send the version they
    # were rendered with (see services.StaleVersion).
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-declared_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["-declared_at", "-id"], name="incident_declared_idx"),
            models.Index(fields=["status", "-declared_at"], name="incident_status_idx"),
            models.Index(fields=["severity", "-declared_at"], name="incident_severity_idx"),
            models.Index(fields=["-updated_at", "-id"], name="incident_updated_idx"),
            models.Index(fields=["type", "-declared_at"], name="incident_type_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__gte=1) & Q(severity__lte=4), name="incident_severity_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class LinkKind(models.TextChoices):
    RELATED = "related", _("Related")
    # "caused_by": the link's source incident was caused by its target.
    CAUSED_BY = "caused_by", _("Caused by")


class IncidentLink(models.Model):
    """A link between two incidents: `source` is related to, or was caused
    by, `target`. Shown on both incidents' pages."""

    source = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("incident link")
        verbose_name_plural = _("incident links")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "kind"], name="incident_link_unique"
            ),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="incident_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{REF_PREFIX}{self.source_id} {self.kind} {REF_PREFIX}{self.target_id}"


class Participant(models.Model):
    """A person involved in an incident. Participants (and admins) are the
    only people who can see a private incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    joined_at = models.DateTimeField(_("joined"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "user"], name="participant_unique"),
        ]
        indexes = [models.Index(fields=["user", "incident"], name="participant_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {REF_PREFIX}{self.incident_id}"


class RoleAssignment(models.Model):
    """Who held a role, from when to when. The current holder has no end."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=16, choices=IncidentRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("holder"),
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "role"],
                condition=Q(ended_at__isnull=True),
                name="one_current_holder_per_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} of {REF_PREFIX}{self.incident_id}: {self.user_id}"


class TimelineKind(models.TextChoices):
    NOTE = "note", _("Note")
    DECISION = "decision", _("Decision")
    DECLARED = "declared", _("Declared")
    STATUS = "status", _("Status change")
    SEVERITY = "severity", _("Severity change")
    ROLE = "role", _("Role change")
    UPDATE = "update", _("Incident update")
    ALERT = "alert", _("Alert")
    CHAT = "chat", _("Chat message")
    POSTMORTEM = "postmortem", _("Postmortem")
    ACTION_ITEM = "action_item", _("Action item")
    TRIGGER = "trigger", _("Trigger policy")
    CHANGE = "change", _("Change event")
    # A stakeholder update published (hotwash.statuspage).
    STAKEHOLDER = "stakeholder", _("Stakeholder update")
    # An incident declared from a near-miss report (hotwash.reports).
    REPORT = "report", _("Near-miss report")
    # A link to another incident made or removed (hotwash.incidents.linking).
    LINK = "link", _("Link")
    # A duplicate merged into this incident, or this one into another.
    MERGE = "merge", _("Merge")


# Kinds a person writes; the others are written by Hotwash itself.
WRITABLE_KINDS = (TimelineKind.NOTE, TimelineKind.DECISION)


class TimelineEvent(models.Model):
    """One entry on an incident's timeline: when it happened (may be
    back-dated), when it was written, and by whom (None: Hotwash itself)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    occurred_at = models.DateTimeField(_("happened at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=TimelineKind.choices)
    body = models.TextField(_("text"), blank=True)
    key_moment = models.BooleanField(_("key moment"), default=False)
    # Structured detail for generated entries, e.g. {"field": "status",
    # "from": "investigating", "to": "monitoring"}; rendered per language.
    data = models.JSONField(default=dict, blank=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [
            models.Index(fields=["incident", "occurred_at", "id"], name="timeline_incident_idx"),
            models.Index(
                fields=["incident", "occurred_at"],
                condition=Q(key_moment=True),
                name="timeline_key_moment_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{REF_PREFIX}{self.incident_id} {self.occurred_at:%Y-%m-%d %H:%M} {self.kind}"


class TimelineEdit(models.Model):
    """One edit of a timeline entry: the values before and after."""

    event = models.ForeignKey(TimelineEvent, on_delete=models.CASCADE, related_name="edits")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField(_("edited at"))
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        ordering = ["edited_at", "id"]

    def __str__(self) -> str:
        return f"edit of timeline entry {self.event_id} at {self.edited_at:%Y-%m-%d %H:%M}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class Task(models.Model):
    """A piece of work during the incident ("check replica lag"), shown in
    catch-up. Longer-lived follow-ups are action items."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("title"), max_length=200)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.title

"""Postmortems and retrospectives.

A postmortem belongs to at most one incident; a retrospective of a success or
of a project has none. Its text lives in sections, one row per section and
language, each with a version number so that two people saving the same
section cannot overwrite each other silently. Facts that come from the
incident (header, timeline, durations) are not copied into the text: they
are read from the incident whenever the postmortem is shown or exported, so
a correction to the incident shows up at once.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotwash.incidents.models import Incident, Service

REF_PREFIX = "PM-"


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Incident postmortem")
    SUCCESS = "success", _("Retrospective of a success")
    PROJECT = "project", _("Retrospective of a project or partnership")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


# Still being written or reviewed: the text can change, the owner is
# reminded of the due date, and a required one can be overdue. Approved and
# published postmortems are done.
OPEN_STATUSES = (Status.DRAFT, Status.IN_REVIEW)


def overdue_q(today: date) -> models.Q:
    """The rule for "overdue", as a query condition: required by policy,
    still open, and due before `today` (the reader's day). `Postmortem.is_overdue`
    says the same of one postmortem in hand."""
    return models.Q(required=True, status__in=OPEN_STATUSES, due_on__lt=today)


class PostmortemQuerySet(models.QuerySet["Postmortem"]):
    def open(self) -> PostmortemQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: date) -> PostmortemQuerySet:
        return self.filter(overdue_q(today))


class Language(models.TextChoices):
    EN = "en", _("English")
    FR = "fr", _("French")


class Postmortem(models.Model):
    incident = models.OneToOneField(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="postmortem",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INCIDENT)
    template = models.CharField(_("template"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    # Required by policy (SEV1/SEV2 by default): only those count as overdue.
    required = models.BooleanField(_("required"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_postmortems",
    )
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("authors"), blank=True, related_name="+"
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    original_language = models.CharField(
        _("original language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # For retrospectives, which have no incident to take these from.
    services = models.ManyToManyField(
        Service, verbose_name=_("services"), blank=True, related_name="postmortems"
    )
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"))
    review_requested_at = models.DateTimeField(_("review requested"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # Published to the public page (no sign-in) as well as internally.
    public = models.BooleanField(_("public"), default=False)
    # Set by the Markdown importer when a postmortem of an incident comes from
    # another installation whose incident does not exist here: its reference
    # (e.g. "INC-42"), the header values it had (severity, incident times,
    # people without an account here) and the generated facts as they were
    # written in the file, by language and block name, so nothing is lost and a later
    # export writes them back unchanged.
    external_incident = models.CharField(_("external incident"), max_length=50, blank=True)
    imported_header = models.JSONField(_("imported header"), default=dict, blank=True)
    imported_facts = models.JSONField(_("imported facts"), default=dict, blank=True)

    objects = PostmortemQuerySet.as_manager()

    class Meta:
        verbose_name = _("postmortem")
        verbose_name_plural = _("postmortems")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="postmortem_status_due_idx"),
            models.Index(fields=["owner", "status"], name="postmortem_owner_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="incident")
                | models.Q(incident__isnull=False)
                | ~models.Q(external_incident=""),
                name="postmortem_incident_kind_has_incident",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        """`overdue_q` for this postmortem."""
        return bool(
            self.required and self.is_open and self.due_on is not None and self.due_on < today
        )


class Section(models.Model):
    """The text of one section in one language."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(_("section"), max_length=50)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    body = models.TextField(_("text"), blank=True)
    # Raised on every save; a save must name the version it started from.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("updated"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "key", "language"], name="section_unique_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.postmortem_id}:{self.key}:{self.language}"


class ReviewDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class Reviewer(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="reviewers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(
        _("decision"),
        max_length=20,
        choices=ReviewDecision.choices,
        default=ReviewDecision.PENDING,
    )
    added_at = models.DateTimeField(_("added"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("reviewer")
        verbose_name_plural = _("reviewers")
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "user"], name="reviewer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.postmortem_id}:{self.user_id}"


class Comment(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="comments")
    # The section commented on, or "" for the postmortem as a whole.
    section_key = models.CharField(_("section"), max_length=50, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.postmortem_id}:{self.pk}"


class ChecklistItem(models.Model):
    """A reviewer's tick against one of the review checklist's questions."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="checklist")
    key = models.CharField(_("item"), max_length=50)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked"))

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "key"], name="checklist_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.postmortem_id}:{self.key}"


class ContributingFactor(models.Model):
    """One contributing factor a postmortem is tagged with (themes): a key
    of the organisation's taxonomy (hotwash.policies: contributing_factors)
    or, with `key` blank, a free tag. A key stays as written if the policy
    later drops it, so the themes of past postmortems do not change."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="factors")
    key = models.CharField(_("factor"), max_length=40, blank=True)
    tag = models.CharField(_("free tag"), max_length=50, blank=True)
    # The order they were given in, for export and display.
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("contributing factor")
        verbose_name_plural = _("contributing factors")
        ordering = ["postmortem", "position", "id"]
        indexes = [models.Index(fields=["key", "postmortem"], name="factor_key_idx")]
        constraints = [
            # Exactly one of the two.
            models.CheckConstraint(
                condition=(models.Q(key="") & ~models.Q(tag=""))
                | (~models.Q(key="") & models.Q(tag="")),
                name="factor_key_or_tag",
            ),
            models.UniqueConstraint(
                fields=["postmortem", "key"],
                condition=~models.Q(key=""),
                name="factor_unique_key",
            ),
            models.UniqueConstraint(
                fields=["postmortem", "tag"],
                condition=~models.Q(tag=""),
                name="factor_unique_tag",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.postmortem_id}:{self.key or self.tag}"

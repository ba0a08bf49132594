"""Near misses and confidential concerns, and the reviewers' comments on them.

A report filed anonymously has no author: nothing in its row, its audit
record or the request's log line links it to the person who filed it
(services.file_report, and the access line's exception in
hotwash.core.request_id)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotwash.incidents.models import Incident
from hotwash.postmortems.models import Postmortem

REF_PREFIX = "RPT-"
# The one permission of this app, granted to people or groups
# (services.grant_review); admins hold it without a grant.
REVIEW_PERMISSION = "review_reports"
REVIEW_PERMISSION_NAME = f"reports.{REVIEW_PERMISSION}"


class Kind(models.TextChoices):
    NEAR_MISS = "near-miss", _("Near miss")
    CONCERN = "concern", _("Confidential concern")


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    RETROSPECTIVE = "retrospective", _("Became a retrospective")
    INCIDENT = "incident", _("Became an incident")


class Report(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("what happened"))
    # None: filed anonymously (or its author's account was deleted).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("filed"), db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    # The outcome: who decided, when, with what note, and what it became.
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    postmortem = models.ForeignKey(
        Postmortem,
        verbose_name=_("retrospective"),
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
        related_name="+",
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-id"]
        # Only the review permission: nobody adds or changes reports through
        # Django's admin, whose pages would bypass queries.py.
        default_permissions = ()
        permissions = [(REVIEW_PERMISSION, "Can review near misses and confidential concerns")]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.pk}"

    @property
    def is_anonymous(self) -> bool:
        return self.author_id is None

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN


class ReportComment(models.Model):
    """Reviewers discussing a report; the reporter does not see these."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written"))

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.report_id}:{self.pk}"

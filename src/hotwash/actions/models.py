"""Action items: follow-ups from an incident or a postmortem, each with
exactly one owner and a due date, followed through to done (or to "won't do",
with a reason)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hotwash.incidents.models import Incident
from hotwash.postmortems.models import Postmortem
from hotwash.teams.models import Team

REF_PREFIX = "AI-"


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    WONT_DO = "wont_do", _("Won't do")


# Statuses in which an item still asks for work (and can be overdue).
OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)
CLOSED_STATUSES = (Status.DONE, Status.WONT_DO)


def overdue_q(today: date) -> Q:
    """The rule for "overdue", as a query condition: still to do and due
    before `today` (the reader's day). `ActionItem.is_overdue` says the same
    of one item in hand."""
    return Q(status__in=OPEN_STATUSES, due_on__lt=today)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Kind(models.TextChoices):
    DETECT = "detect", _("Detect")
    MITIGATE = "mitigate", _("Mitigate")
    PREVENT = "prevent", _("Prevent")
    PROCESS = "process", _("Process")


class ActionItem(models.Model):
    """A follow-up. Its human reference is AI-<id>.

    `incident` is filled in from the postmortem when an item is created from
    a postmortem of an incident, so visibility (private incidents) and the
    incident's timeline need one join, not two. `owner` and `due_on` are
    empty only for items drafted inside a postmortem; such items block the
    postmortem's approval (services.approval_blockers)."""

    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    postmortem = models.ForeignKey(
        Postmortem,
        verbose_name=_("postmortem"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        # Deleting a person leaves their items without an owner, which the
        # lists and postmortem approval then point out; deactivate instead.
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.MEDIUM
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PREVENT)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    wont_do_reason = models.TextField(_("reason for not doing it"), blank=True)
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # Text Hotwash wrote itself (a trigger policy's proposal), in every
    # language: {"title": {"en": ..., "fr": ...}, "description": {...}}.
    # `title` and `description` hold it in the site's language, for trackers,
    # the API and search; pages show the reader's (display_title) until
    # someone rewrites it.
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="action_owner_idx"),
            models.Index(fields=["status", "due_on"], name="action_status_due_idx"),
            models.Index(fields=["team", "status"], name="action_team_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="action_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="wont_do") | ~Q(wont_do_reason=""),
                name="action_wont_do_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_at__isnull=False),
                name="action_done_has_done_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.pk}"

    @property
    def display_title(self) -> str:
        """The title in the active language (see `translations`)."""
        return self._translated("title", self.title)

    @property
    def display_description(self) -> str:
        return self._translated("description", self.description)

    def _translated(self, field: str, stored: str) -> str:
        versions: dict[str, str] = (self.translations or {}).get(field) or {}
        if stored not in versions.values():  # rewritten since: the person's words
            return stored
        return versions.get((get_language() or "")[:2]) or stored

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        """`overdue_q` for this item."""
        return self.is_open and self.due_on is not None and self.due_on < today

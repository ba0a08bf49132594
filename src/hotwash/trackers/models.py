"""Per-team tracker settings, and the link from an action item to the issue
it became in that tracker.

Credentials never live in the database: a tracker names the environment
variable or the secret file that holds its token and its webhook secret, and
Hotwash reads them when it needs them (see credentials.py). Trackers are
set up by an admin, in the database, so those variable names must start
with HOTWASH_SECRET_ (core/secret_env.py), and in production mode the API
address must not be an internal one (core/outbound.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hotwash.actions.models import CLOSED_STATUSES, ActionItem
from hotwash.core.outbound import OutboundRefused, check_url
from hotwash.core.secret_env import disallowed_names, validate_secret_env_name
from hotwash.teams.models import Team
from hotwash.trackers.registry import Tracker, kind_choices, trackers


class AuthMethod(models.TextChoices):
    TOKEN = "token", _("Token (GitHub, GitLab; a bearer token for Jira)")
    BASIC = "basic", _("E-mail address and API token (Jira Cloud)")


ISSUE_LANGUAGES = [("en", _("English")), ("fr", _("French"))]

ENV_FIELDS = ("token_env", "webhook_secret_env")


def secret_dirs() -> list[PurePosixPath]:
    """The folders secret files may live in (TRACKER_SECRET_DIRS: by default
    /run/secrets, /var/run/secrets and the data folder's secrets/). A
    tracker's settings cannot make Hotwash send, say, /etc/passwd to a
    server as a token."""
    return [PurePosixPath(path) for path in settings.TRACKER_SECRET_DIRS]


class TrackerConfig(models.Model):
    """Where a team's backlog lives, and how Hotwash reaches it."""

    team = models.OneToOneField(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="tracker"
    )
    # The registered trackers (hotwash/integrations/): a function, so that
    # adding one needs no migration.
    kind = models.CharField(_("tracker"), max_length=8, choices=kind_choices)
    base_url = models.URLField(
        _("API address"),
        max_length=300,
        blank=True,
        help_text=_(
            "Leave empty for github.com (https://api.github.com) or gitlab.com "
            "(https://gitlab.com). GitHub Enterprise: https://github.example.com/api/v3. "
            "Jira: required, e.g. https://example.atlassian.net."
        ),
    )
    project = models.CharField(
        _("project"),
        max_length=200,
        help_text=_(
            "GitHub: owner/repository. GitLab: the project's numeric id or its path "
            "(group/project). Jira: the project key, e.g. OPS."
        ),
    )
    issue_type = models.CharField(
        _("issue type"),
        max_length=100,
        blank=True,
        help_text=_("Jira only: the issue type to create (default: Task)."),
    )
    labels = models.CharField(
        _("extra labels"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated labels added to every issue, besides Hotwash's own."),
    )
    language = models.CharField(
        _("language of the issues"),
        max_length=8,
        choices=ISSUE_LANGUAGES,
        default="en",
    )
    auth_method = models.CharField(
        _("authentication"), max_length=8, choices=AuthMethod.choices, default=AuthMethod.TOKEN
    )
    username = models.CharField(
        _("account e-mail address"),
        max_length=200,
        blank=True,
        help_text=_("Jira Cloud with an API token: the e-mail address of the account."),
    )
    token_env = models.CharField(
        _("token: environment variable"),
        max_length=100,
        blank=True,
        validators=[validate_secret_env_name],
        help_text=_(
            "The name of the environment variable that holds the API token; it must start "
            "with HOTWASH_SECRET_."
        ),
    )
    token_file = models.CharField(
        _("token: secret file"),
        max_length=300,
        blank=True,
        help_text=_("Or the absolute path of a file that holds it (e.g. a mounted secret)."),
    )
    webhook_secret_env = models.CharField(
        _("webhook secret: environment variable"),
        max_length=100,
        blank=True,
        validators=[validate_secret_env_name],
        help_text=_("It must start with HOTWASH_SECRET_."),
    )
    webhook_secret_file = models.CharField(
        _("webhook secret: secret file"), max_length=300, blank=True
    )
    polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_poll_error = models.TextField(_("last polling error"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("tracker")
        verbose_name_plural = _("trackers")
        ordering = ["team__name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.project} ({self.team})"

    @property
    def integration(self) -> Tracker | None:
        """The registered tracker of this kind (None for an unknown kind,
        which full_clean refuses)."""
        return trackers.find(self.kind)

    @property
    def api_base(self) -> str:
        return (self.base_url or trackers.get(self.kind).default_base_url).rstrip("/")

    def issue_name(self, key: str) -> str:
        """How people write issue `key`: owner/repo#42, group/project#7, OPS-12."""
        return trackers.get(self.kind).issue_name(self.project, key)

    @property
    def extra_labels(self) -> list[str]:
        return [label.strip() for label in self.labels.split(",") if label.strip()]

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        self.project = self.project.strip()
        integration = self.integration
        if integration is not None:
            self.project = integration.normalise_project(self.project)
            errors.update(self._clean_url(integration))
            errors.update(self._clean_project(integration))
            errors.update(self._clean_auth(integration))
        for field, env_field, file_field, required in (
            ("token", "token_env", "token_file", True),
            ("webhook secret", "webhook_secret_env", "webhook_secret_file", False),
        ):
            errors.update(_clean_secret(self, env_field, file_field, required=required, what=field))
        if errors:
            raise ValidationError(errors)

    def _clean_url(self, integration: Tracker) -> dict[str, Any]:
        if not self.base_url:
            if integration.default_base_url:
                return {}
            return {"base_url": str(integration.base_url_needed)}
        parts = urlsplit(self.base_url)
        allowed = ("https",) if settings.PRODUCTION else ("https", "http")
        if parts.scheme not in allowed or not parts.hostname:
            return {"base_url": _("Use an https:// address.")}
        if parts.query or parts.fragment or parts.username or parts.password:
            return {
                "base_url": _(
                    "Give the address without a query, fragment or credentials; "
                    "credentials come from the token fields."
                )
            }
        try:
            check_url(self.base_url)
        except OutboundRefused as refused:
            return {"base_url": str(refused)}
        return {}

    def _clean_project(self, integration: Tracker) -> dict[str, Any]:
        if not integration.project_pattern.fullmatch(self.project):
            return {"project": str(integration.project_hint)}
        return {}

    def _clean_auth(self, integration: Tracker) -> dict[str, Any]:
        # The messages name Jira, the one tracker with e-mail-and-token
        # authentication and issue types.
        if self.auth_method == AuthMethod.BASIC:
            if AuthMethod.BASIC not in integration.auth_methods:
                return {
                    "auth_method": _("Only Jira uses an e-mail address and API token; use Token.")
                }
            if "@" not in self.username:
                return {
                    "username": _("Give the e-mail address of the Jira account the token is for.")
                }
        elif self.username:
            return {
                "username": _("Leave this empty unless the authentication is e-mail and token.")
            }
        if self.issue_type and not integration.has_issue_types:
            return {"issue_type": _("Only Jira has issue types; leave this empty.")}
        return {}


def _clean_secret(
    config: TrackerConfig, env_field: str, file_field: str, *, required: bool, what: str
) -> dict[str, Any]:
    env = getattr(config, env_field).strip()
    path = getattr(config, file_field).strip()
    setattr(config, env_field, env)
    setattr(config, file_field, path)
    if env and path:
        return {file_field: _("Give an environment variable or a file, not both.")}
    if not env and not path:
        if required:
            return {
                env_field: _(
                    "Name the environment variable (or the secret file) that holds the token."
                )
            }
        return {}
    if env:
        return {}  # the field's validator applies the naming rule
    file = PurePosixPath(path)
    if not file.is_absolute() or ".." in file.parts:
        return {file_field: _("Give an absolute path without “..”.")}
    dirs = secret_dirs()
    if not any(file.is_relative_to(folder) for folder in dirs):
        return {
            file_field: _("Secret files must be in one of these folders: %(folders)s.")
            % {"folders": ", ".join(str(folder) for folder in dirs)}
        }
    return {}


class SyncState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SYNCED = "synced", _("Linked")
    FAILED = "failed", _("Failed")


class UpdateState(models.TextChoices):
    """Whether the item's edits since the push have reached the issue."""

    NONE = "", _("Up to date")
    PENDING = "pending", _("Changes waiting to be sent")
    FAILED = "failed", _("Sending changes failed")


class IssueState(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ErrorKind(models.TextChoices):
    NONE = "", _("None")
    CREDENTIALS = "credentials", _("Credentials missing")
    AUTH = "auth", _("Credentials refused")
    NOT_FOUND = "not_found", _("Project not found")
    REJECTED = "rejected", _("Issue refused")
    RATE_LIMITED = "rate_limited", _("Rate limited")
    UNAVAILABLE = "unavailable", _("Tracker unavailable")
    UNEXPECTED = "unexpected", _("Unexpected answer")
    ADDRESS = "address", _("Address refused")


class TrackerLink(models.Model):
    """An action item's issue in its team's tracker, and how syncing it went.

    The link is written (pending) in the same transaction that asks for the
    push, so a push can be retried but never forgotten: the worker's task,
    the periodic sweep and the admin's retry all start from this row.
    `marker` is written into the issue body; a retried push looks for it
    before creating, so a lost response never opens a second issue."""

    item = models.OneToOneField(
        ActionItem,
        verbose_name=_("action item"),
        on_delete=models.CASCADE,
        related_name="tracker_link",
    )
    # PROTECT: deleting a tracker must not silently orphan its issues.
    tracker = models.ForeignKey(
        TrackerConfig, verbose_name=_("tracker"), on_delete=models.PROTECT, related_name="links"
    )
    sync_state = models.CharField(
        _("sync state"), max_length=8, choices=SyncState.choices, default=SyncState.PENDING
    )
    issue_state = models.CharField(
        _("issue state"), max_length=8, choices=IssueState.choices, blank=True, default=""
    )
    external_id = models.CharField(_("tracker's id"), max_length=100, blank=True)
    external_key = models.CharField(
        _("issue"),
        max_length=100,
        blank=True,
        help_text=_("GitHub issue number, GitLab issue iid or Jira issue key."),
    )
    url = models.URLField(_("issue address"), max_length=500, blank=True)
    marker = models.CharField(_("idempotency marker"), max_length=100, unique=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error_kind = models.CharField(
        _("error"), max_length=16, choices=ErrorKind.choices, blank=True, default=""
    )
    last_error = models.TextField(_("last error"), blank=True)
    first_attempt_at = models.DateTimeField(_("first attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    remote_updated_at = models.DateTimeField(_("issue updated"), null=True, blank=True)
    # Two-way sync (tasks.attempt_update): what the issue shows of the item
    # as far as Hotwash knows (the title, due date and owner it last sent,
    # and `issue_state`), so an edit is sent only when the item and its
    # issue differ. A change that came from the tracker is written to
    # `issue_state` before the item changes, so it is never sent back.
    synced_title = models.CharField(_("title sent"), max_length=200, blank=True)
    synced_due_on = models.DateField(_("due date sent"), null=True, blank=True)
    synced_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner sent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    update_state = models.CharField(
        _("changes"), max_length=8, choices=UpdateState.choices, blank=True, default=""
    )
    # Bumped by every edit that leaves the issue behind; an attempt that
    # finishes with the version it started from is up to date, otherwise
    # another attempt follows (the compare-and-set in tasks.py).
    update_version = models.PositiveIntegerField(_("changes version"), default=0)
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pushed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("tracker link")
        verbose_name_plural = _("tracker links")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["sync_state", "next_attempt_at"], name="trackerlink_due_idx"),
            models.Index(
                fields=["update_state", "next_attempt_at"], name="trackerlink_update_due_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tracker", "external_key"],
                condition=~Q(external_key=""),
                name="trackerlink_one_item_per_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.ref} → {self.display_key or self.get_sync_state_display()}"

    @property
    def display_key(self) -> str:
        """How people write the issue: owner/repo#42, group/project#7, OPS-12."""
        if not self.external_key:
            return ""
        return self.tracker.issue_name(self.external_key)

    def drift(self, item: ActionItem) -> Drift:
        """What of `item` its issue does not show yet."""
        closed = item.status in CLOSED_STATUSES
        return Drift(
            title=item.title != self.synced_title,
            due=item.due_on != self.synced_due_on,
            owner=item.owner_id != self.synced_owner_id,
            state=(IssueState.CLOSED if closed else IssueState.OPEN) != self.issue_state,
        )


@dataclass(frozen=True)
class Drift:
    """Which of the synced fields differ between an item and its issue."""

    title: bool = False
    due: bool = False
    owner: bool = False
    state: bool = False

    def __bool__(self) -> bool:
        return self.title or self.due or self.owner or self.state

    @property
    def fields(self) -> list[str]:
        return [name for name in ("title", "due", "owner", "state") if getattr(self, name)]


class TrackerAccount(models.Model):
    """Who a Hotwash person is in a tracker, so that an item's owner is its
    issue's assignee. Set by an admin on the tracker's page; an owner
    without one leaves the issue unassigned."""

    tracker = models.ForeignKey(
        TrackerConfig,
        verbose_name=_("tracker"),
        on_delete=models.CASCADE,
        related_name="accounts",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    account = models.CharField(
        _("account in the tracker"),
        max_length=200,
        help_text=_(
            "GitHub: the login. GitLab: the numeric user id. Jira: the account id (accountId)."
        ),
    )

    class Meta:
        verbose_name = _("tracker account")
        verbose_name_plural = _("tracker accounts")
        constraints = [
            models.UniqueConstraint(fields=["tracker", "user"], name="trackeraccount_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.account}"

    def clean(self) -> None:
        self.account = self.account.strip()
        integration = self.tracker.integration if self.tracker_id else None
        if integration is not None and not integration.account_pattern.fullmatch(self.account):
            raise ValidationError({"account": str(integration.account_hint)})


@checks.register(checks.Tags.database)
def check_tracker_secret_names(
    *,
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """Flag (never change) trackers saved before the HOTWASH_SECRET_ rule.
    Runs with `hotwash check --database default` and `hotwash migrate`."""
    messages: list[checks.CheckMessage] = []
    for alias in databases or []:
        trackers = TrackerConfig.objects.using(alias).select_related("team")
        for tracker, field, name in disallowed_names(trackers, ENV_FIELDS):
            messages.append(
                checks.Warning(
                    f"Tracker {tracker}: {field} names {name}, which Hotwash does not read "
                    "(names stored in the database must start with HOTWASH_SECRET_); its "
                    "calls fail until an admin changes it.",
                    obj=tracker,
                    id="trackers.W001",
                )
            )
    return messages

"""Admin: each team's tracker settings, and the sync of every pushed item,
with the failed ones a click away and a retry action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hotwash.core.errors import DomainError
from hotwash.trackers import services
from hotwash.trackers.content import site_url
from hotwash.trackers.credentials import (
    CredentialMissing,
    CredentialRefused,
    describe_source,
    read_secret,
)
from hotwash.trackers.display import describe_error
from hotwash.trackers.models import (
    SyncState,
    TrackerAccount,
    TrackerConfig,
    TrackerLink,
    UpdateState,
)


class TrackerAccountInline(admin.TabularInline[TrackerAccount, TrackerConfig]):
    """Who each person is in the tracker: an item's owner becomes its
    issue's assignee."""

    model = TrackerAccount
    extra = 0


def _secret_status(env: str, file: str) -> str:
    if not env and not file:
        return _("not configured")
    try:
        read_secret(env, file)
    except CredentialRefused as exc:
        return _("refused: %(detail)s") % {"detail": str(exc)}
    except CredentialMissing as exc:
        return _("missing in this process: %(detail)s") % {"detail": str(exc)}
    return _("available in this process (%(source)s)") % {"source": describe_source(env, file)}


@admin.register(TrackerConfig)
class TrackerConfigAdmin(admin.ModelAdmin[TrackerConfig]):
    inlines = [TrackerAccountInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["team", "kind", "project", "polled_at", "poll_problem"]
    list_filter = ["kind"]
    search_fields = ["team__name", "project"]
    readonly_fields = [
        "webhook_url",
        "token_status",
        "webhook_secret_status",
        "polled_at",
        "last_poll_error",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["team", "kind", "base_url", "project", "issue_type", "labels", "language"]},
        ),
        (
            gettext_lazy(
                "Credentials (read from an environment variable whose name starts with "
                "HOTWASH_SECRET_, or a secret file; never stored)"
            ),
            {
                "fields": [
                    "auth_method",
                    "username",
                    "token_env",
                    "token_file",
                    "token_status",
                    "webhook_secret_env",
                    "webhook_secret_file",
                    "webhook_secret_status",
                ]
            },
        ),
        (
            gettext_lazy("Webhook and polling"),
            {"fields": ["webhook_url", "polled_at", "last_poll_error"]},
        ),
    ]

    @admin.display(description=gettext_lazy("webhook address"))
    def webhook_url(self, obj: TrackerConfig) -> str:
        if obj.pk is None:
            return _("Save the tracker first.")
        return f"{site_url()}/api/v1/trackers/{obj.pk}/webhook"

    @admin.display(description=gettext_lazy("token"))
    def token_status(self, obj: TrackerConfig) -> str:
        return _secret_status(obj.token_env, obj.token_file)

    @admin.display(description=gettext_lazy("webhook secret"))
    def webhook_secret_status(self, obj: TrackerConfig) -> str:
        return _secret_status(obj.webhook_secret_env, obj.webhook_secret_file)

    @admin.display(description=gettext_lazy("polling"), boolean=False)
    def poll_problem(self, obj: TrackerConfig) -> str:
        return obj.last_poll_error[:80] if obj.last_poll_error else _("OK")


class FailedFilter(admin.SimpleListFilter):
    title = gettext_lazy("problems")
    parameter_name = "problem"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("failed", _("Failed")),
            ("retrying", _("Retrying")),
            ("any", _("Any error")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "failed":
            return queryset.filter(
                Q(sync_state=SyncState.FAILED) | Q(update_state=UpdateState.FAILED)
            )
        if value == "retrying":
            pending = Q(sync_state=SyncState.PENDING) | Q(update_state=UpdateState.PENDING)
            return queryset.filter(pending).exclude(error_kind="")
        if value == "any":
            return queryset.exclude(error_kind="")
        return queryset


@admin.register(TrackerLink)
class TrackerLinkAdmin(admin.ModelAdmin[TrackerLink]):
    """The failed-sync view: /admin/trackers/trackerlink/?problem=failed."""

    list_display = [
        "item",
        "tracker",
        "sync_state",
        "update_state",
        "issue",
        "issue_state",
        "attempts",
        "error",
        "last_attempt_at",
        "next_attempt_at",
    ]
    list_filter = [
        FailedFilter,
        "sync_state",
        "update_state",
        "error_kind",
        "tracker__kind",
        "tracker",
    ]
    search_fields = ["external_key", "url", "item__title", "last_error"]
    list_select_related = ["item", "tracker__team"]
    actions = ["retry", "refresh"]
    readonly_fields = [
        "item",
        "tracker",
        "sync_state",
        "update_state",
        "issue_state",
        "synced_title",
        "synced_due_on",
        "synced_owner",
        "update_version",
        "external_id",
        "external_key",
        "url",
        "marker",
        "attempts",
        "error_kind",
        "error",
        "last_error",
        "first_attempt_at",
        "last_attempt_at",
        "next_attempt_at",
        "last_synced_at",
        "remote_updated_at",
        "created_at",
        "created_by",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # links are made by pushing an item

    @admin.display(description=gettext_lazy("issue"))
    def issue(self, obj: TrackerLink) -> str:
        if not obj.url:
            return "—"
        return format_html('<a href="{}" rel="noopener">{}</a>', obj.url, obj.display_key)

    @admin.display(description=gettext_lazy("what went wrong"))
    def error(self, obj: TrackerLink) -> str:
        return describe_error(obj) if obj.error_kind else ""

    @admin.action(description=gettext_lazy("Try the selected pushes again"))
    def retry(self, request: HttpRequest, queryset: QuerySet[TrackerLink]) -> None:
        count = 0
        stuck = Q(sync_state__in=[SyncState.PENDING, SyncState.FAILED]) | ~Q(update_state="")
        for link in queryset.filter(stuck):
            services.retry(link, actor=request.user)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d push will be tried again by the worker.",
                "%(count)d pushes will be tried again by the worker.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Read the selected issues' state from the tracker now"))
    def refresh(self, request: HttpRequest, queryset: QuerySet[TrackerLink]) -> None:
        for link in queryset.filter(sync_state=SyncState.SYNCED).select_related("tracker", "item"):
            try:
                change = services.refresh_link(link)
            except DomainError as error:
                self.message_user(
                    request,
                    _("%(ref)s: %(error)s") % {"ref": link.item.ref, "error": error.message},
                    messages.ERROR,
                )
                continue
            self.message_user(
                request,
                _("%(ref)s: the issue is %(state)s.")
                % {"ref": link.item.ref, "state": change.link.get_issue_state_display()},
                messages.INFO,
            )

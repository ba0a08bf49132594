"""The periodic jobs in the admin: when each last ran, how it went, when it
runs next; "run now" makes a job due at once. Failed tasks are in
django-tasks-db's own "Task results" view (filter by status); the workers
and when each was last seen in "Worker heartbeats"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hotwash.jobs.models import PeriodicJobState, WorkerHeartbeat


@admin.register(PeriodicJobState)
class PeriodicJobStateAdmin(admin.ModelAdmin[PeriodicJobState]):
    list_display = [
        "name",
        "interval_seconds",
        "next_run_at",
        "last_started_at",
        "last_finished_at",
        "last_status",
        "run_count",
        "failure_count",
        "last_worker",
    ]
    list_filter = ["last_status"]
    search_fields = ["name"]
    actions = ["run_now"]
    readonly_fields = [
        "name",
        "interval_seconds",
        "next_run_at",
        "last_started_at",
        "last_finished_at",
        "last_status",
        "formatted_error",
        "last_worker",
        "run_count",
        "failure_count",
    ]
    exclude = ["last_error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("last error"))
    def formatted_error(self, obj: PeriodicJobState) -> SafeString | str:
        return format_html("<pre>{}</pre>", obj.last_error) if obj.last_error else "-"

    @admin.action(description=_("Run the selected jobs at the next look"))
    def run_now(self, request: HttpRequest, queryset: QuerySet[PeriodicJobState]) -> None:
        count = queryset.update(next_run_at=timezone.now())
        self.message_user(
            request,
            ngettext(
                "%(count)d job will run at a worker's next look.",
                "%(count)d jobs will run at a worker's next look.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin[WorkerHeartbeat]):
    """Read-only: the workers write these rows themselves."""

    list_display = ["worker_id", "hostname", "pid", "started_at", "last_seen_at"]
    search_fields = ["worker_id", "hostname"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: WorkerHeartbeat | None = None
    ) -> bool:
        return False

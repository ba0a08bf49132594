"""Alert sources are created here (or with `hotwash createtoken --source`);
the token is shown once, on the page that follows, and never stored."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from hotwash.alerts.models import Alert, AlertGroup, AlertSource
from hotwash.alerts.services import create_source, forget_remembered_sources, replace_token


@admin.register(AlertSource)
class AlertSourceAdmin(admin.ModelAdmin[AlertSource]):
    list_display = ("name", "kind", "enabled", "prefix", "created_at", "last_used_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "prefix")
    fields = (
        "name",
        "kind",
        "enabled",
        "group_by",
        "allowed_topic_arns",
        "prefix",
        "created_at",
        "last_used_at",
    )
    readonly_fields = ("prefix", "created_at", "last_used_at")
    actions = ["replace_tokens"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The kind decides the endpoint the token works on; a new source is
        # simpler than a source that silently changes endpoint.
        return (*self.readonly_fields, "kind") if obj is not None else self.readonly_fields

    def save_model(
        self, request: HttpRequest, obj: AlertSource, form: ModelForm[AlertSource], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            forget_remembered_sources()
            return
        source, token = create_source(
            name=obj.name,
            kind=obj.kind,
            actor=request.user,
            group_by=obj.group_by,
            allowed_topic_arns=obj.allowed_topic_arns or [],
        )
        if not obj.enabled:
            AlertSource.objects.filter(pk=source.pk).update(enabled=False)
        obj.pk, obj.digest, obj.prefix, obj.created_at = (
            source.pk,
            source.digest,
            source.prefix,
            source.created_at,
        )
        request._alert_source_tokens = [(source, token)]  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: AlertSource, post_url_continue: Any = None
    ) -> HttpResponse:
        tokens = getattr(request, "_alert_source_tokens", None)
        if not tokens:
            return super().response_add(request, obj, post_url_continue)
        return self._show_tokens(request, tokens)

    @admin.action(description=_("Replace the token of the selected sources"))
    def replace_tokens(self, request: HttpRequest, queryset: QuerySet[AlertSource]) -> HttpResponse:
        tokens = [(source, replace_token(source, actor=request.user)) for source in queryset]
        return self._show_tokens(request, tokens)

    def _show_tokens(
        self, request: HttpRequest, tokens: list[tuple[AlertSource, str]]
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("Alert source token"),
            "opts": self.model._meta,
            "tokens": tokens,
        }
        response = TemplateResponse(request, "alerts/admin_tokens.html", context)
        # A page with a secret on it: never kept by a browser or a proxy.
        response["Cache-Control"] = "no-store"
        return response


@admin.register(AlertGroup)
class AlertGroupAdmin(admin.ModelAdmin[AlertGroup]):
    list_display = (
        "group_key",
        "source",
        "status",
        "incident",
        "first_fired_at",
        "last_notified_at",
    )
    list_filter = ("status", "source")
    search_fields = ("group_key",)
    raw_id_fields = ("incident",)
    readonly_fields = (
        "source",
        "group_key",
        "labels",
        "status",
        "first_fired_at",
        "last_notified_at",
        "resolved_at",
        "updated_at",
    )


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin[Alert]):
    list_display = ("fingerprint", "source", "status", "starts_at", "ends_at", "notification_count")
    list_filter = ("status", "source")
    search_fields = ("fingerprint",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

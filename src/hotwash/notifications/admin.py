"""Notifications in the admin: the ledger of what was decided and how its
delivery went, webhook subscriptions (editable) and their deliveries, the
event outbox and each event's deliveries, and people's preferences.
Failures are one filter away (status: failed or retrying), with the last
error on each row; "Retry now" sends failed or retrying deliveries again
(notifications/retries.py)."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hotwash.core.crypto import SecretUndecryptable
from hotwash.core.secret_env import SecretEnvRefused, read_secret_env
from hotwash.notifications.models import (
    Delivery,
    Event,
    NotificationPreference,
    SentNotification,
    WebhookDelivery,
    WebhookSubscription,
)
from hotwash.notifications.retries import RETRYABLE, retry_now


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SentNotification)
class SentNotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "kind",
        "object_id",
        "recipient",
        "slot",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient__username", "recipient__email"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]


class WebhookSubscriptionForm(forms.ModelForm[WebhookSubscription]):
    """The signing secret is write-only: typed (or generated) here, stored
    encrypted, shown once after saving, never rendered back into the form.
    (No Meta: the admin builds it, with its formfield_overrides.)"""

    secret = forms.CharField(
        label=gettext_lazy("signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "New subscription: leave empty for Hotwash to generate one (shown once, after "
            "saving). Existing one: leave empty to keep the stored secret, or type a new one."
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        typed = cleaned.get("secret") or ""
        if typed:
            self.instance.secret = typed
        elif self.instance.pk is None and not cleaned.get("secret_env"):
            self.instance.secret = secrets.token_urlsafe(32)
        # Set before the model's own clean() runs, which needs a secret or a variable.
        return cleaned


def describe_secret(subscription: WebhookSubscription) -> str:
    """Where the signing secret comes from and whether it is usable here;
    never its value."""
    if subscription.secret_env:
        try:
            available = bool(read_secret_env(subscription.secret_env))
        except SecretEnvRefused as refused:
            return _("refused: %(detail)s") % {"detail": str(refused)}
        if available:
            return _("from $%(name)s (set in this process)") % {"name": subscription.secret_env}
        return _("from $%(name)s (not set in this process)") % {"name": subscription.secret_env}
    if not subscription.secret_encrypted:
        return _("none")
    try:
        subscription.secret  # noqa: B018  (decrypting is the check)
    except SecretUndecryptable as error:
        return str(error)
    return _("stored encrypted")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin[WebhookSubscription]):
    form = WebhookSubscriptionForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "name",
        "url",
        "active",
        "events",
        "include_private",
        "secret_source",
        "created_at",
    ]
    list_filter = ["active", "include_private"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret_source"]
    fields = [
        "name",
        "url",
        "events",
        "include_private",
        "secret",
        "secret_env",
        "secret_source",
        "active",
    ]
    created_template = "admin/notifications/webhooksubscription/secret_created.html"

    @admin.display(description=gettext_lazy("secret"))
    def secret_source(self, obj: WebhookSubscription) -> str:
        if obj.pk is None:
            return "—"
        return describe_secret(obj)

    def response_add(
        self, request: HttpRequest, obj: WebhookSubscription, post_url_continue: str | None = None
    ) -> HttpResponse:
        """Show a new stored secret once, on a page of its own (not in a
        message, which may travel in a cookie)."""
        if obj.secret_env or not obj.secret_encrypted:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "subscription": obj,
            "secret": obj.secret,
            "title": _("Signing secret of %(name)s") % {"name": obj.name},
        }
        response = TemplateResponse(request, self.created_template, context)
        response["Cache-Control"] = "no-store"
        return response


class RetryNow(ReadOnlyAdmin):
    """Read-only deliveries that an admin can send again."""

    actions = ["retry_now"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # The rows are read-only, but sending one again is a change.
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(
        description=gettext_lazy("Retry now (failed or retrying deliveries)"),
        permissions=["retry"],
    )
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = sum(
            retry_now(row, actor=request.user) for row in queryset.filter(status__in=RETRYABLE)
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery will be sent again by the worker, attempts counted afresh.",
                "%(count)d deliveries will be sent again by the worker, attempts counted afresh.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RetryNow):
    list_display = [
        "id",
        "subscription",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
        "last_error",
    ]
    list_filter = ["status", "event", "subscription"]
    list_select_related = ["subscription"]


EVENT_FIELDS = [
    "id",
    "type",
    "occurred_at",
    "incident",
    "private",
    "actor",
    "routed_at",
    "deliveries_link",
    "webhook_deliveries_link",
    "data",
]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The outbox: what happened, and a link to what was sent for it."""

    list_display = [
        "type",
        "occurred_at",
        "incident",
        "private",
        "actor",
        "routed_at",
        "deliveries_link",
        "webhook_deliveries_link",
    ]
    list_filter = ["type", "private", ("routed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["incident", "actor"]
    date_hierarchy = "occurred_at"
    search_fields = ["=id", "=incident__id"]
    fields = tuple(EVENT_FIELDS)
    readonly_fields = EVENT_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        events: QuerySet[Event] = super().get_queryset(request)
        return events.annotate(
            delivery_count=Count("deliveries", distinct=True),
            webhook_count=Count("webhook_deliveries", distinct=True),
        )

    @admin.display(description=gettext_lazy("deliveries"))
    def deliveries_link(self, obj: Event) -> str:
        url = reverse("admin:notifications_delivery_changelist")
        return format_html(
            '<a href="{}?event__id__exact={}">{}</a>',
            url,
            obj.pk,
            getattr(obj, "delivery_count", ""),
        )

    @admin.display(description=gettext_lazy("webhook deliveries"))
    def webhook_deliveries_link(self, obj: Event) -> str:
        url = reverse("admin:notifications_webhookdelivery_changelist")
        return format_html(
            '<a href="{}?source__id__exact={}">{}</a>',
            url,
            obj.pk,
            getattr(obj, "webhook_count", ""),
        )


@admin.register(Delivery)
class DeliveryAdmin(RetryNow):
    """One event to one recipient through one channel, and how sending it went."""

    list_display = [
        "event_type",
        "channel",
        "key",
        "rule",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
        "last_error",
    ]
    list_filter = ["status", "channel", "event__type"]
    list_select_related = ["event"]
    search_fields = ["key", "address", "rule"]
    date_hierarchy = "created_at"

    @admin.display(description=gettext_lazy("event"), ordering="event__type")
    def event_type(self, obj: Delivery) -> str:
        url = reverse("admin:notifications_event_change", args=[obj.event_id])
        return format_html('<a href="{}">{}</a>', url, obj.event.get_type_display())


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin[NotificationPreference]):
    list_display = ["user", "digests_muted", "reminders_muted", "updated_at"]
    list_filter = ["digests_muted", "reminders_muted"]
    search_fields = ["user__username"]

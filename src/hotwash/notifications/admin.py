"""Notifications in the admin: the ledger of what was decided and how its
delivery went, webhook subscriptions (editable) and their deliveries, and
people's preferences. Failures are one filter away (status: failed or
retrying), with the last error on each row."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from hotwash.notifications.models import (
    NotificationPreference,
    SentNotification,
    WebhookDelivery,
    WebhookSubscription,
)


class ReadOnlyAdmin(admin.ModelAdmin):
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


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin[WebhookSubscription]):
    list_display = ["name", "url", "active", "events", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
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


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin[NotificationPreference]):
    list_display = ["user", "digests_muted", "reminders_muted", "updated_at"]
    list_filter = ["digests_muted", "reminders_muted"]
    search_fields = ["user__username"]

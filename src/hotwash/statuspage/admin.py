"""The status page in the admin: scheduled maintenance (editable; saving it
renders the public page again) and mail subscribers (read, or deleted on
request; their subscriptions are theirs to make through the double opt-in)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hotwash.statuspage.models import Maintenance, StatusSubscriber


@admin.register(Maintenance)
class MaintenanceAdmin(admin.ModelAdmin[Any]):
    list_display = ["title_en", "title_fr", "starts_at", "ends_at"]
    search_fields = ["title_en", "title_fr"]
    filter_horizontal = ["services"]
    date_hierarchy = "starts_at"


@admin.register(StatusSubscriber)
class StatusSubscriberAdmin(admin.ModelAdmin[Any]):
    list_display = ["email", "service", "language", "created_at", "confirmed_at"]
    list_filter = ["language", ("confirmed_at", admin.EmptyFieldListFilter), "service"]
    search_fields = ["email"]
    readonly_fields = [
        "email",
        "language",
        "service",
        "created_at",
        "confirmed_at",
        "confirmation_sent_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

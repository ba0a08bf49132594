from django.contrib import admin

from hotwash.incidents.models import Incident, Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin[Incident]):
    """Incidents are changed on their own pages, where every change is put on
    the timeline; the admin only lists them."""

    list_display = ("id", "title", "severity", "status", "private", "declared_at")
    list_filter = ("status", "severity", "private")
    search_fields = ("title",)
    date_hierarchy = "declared_at"

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: object) -> bool:
        return False

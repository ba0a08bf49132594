from django.contrib import admin

from hotwash.accounts.models import ApiToken, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "timezone", "language")
    list_filter = ("role", "language")
    search_fields = ("user__username", "user__email")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `hotwash createtoken`; here they can only be
    inspected and revoked (set "revoked at")."""

    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "digest", "prefix", "created_at", "last_used_at")
    search_fields = ("user__username", "name", "prefix")

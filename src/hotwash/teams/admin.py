from django.contrib import admin

from hotwash.teams.models import Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "slug", "push_new_action_items"]
    list_filter = ["push_new_action_items"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members", "services"]

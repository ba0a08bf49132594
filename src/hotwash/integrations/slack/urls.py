"""Slack's request URLs, under /integrations/slack/ (docs/chat.md#slack)."""

from django.urls import URLPattern, path

from hotwash.integrations.slack import views

app_name = "slack"

urlpatterns: list[URLPattern] = [
    path("commands", views.command, name="commands"),
    path("events", views.event, name="events"),
    path("interactivity", views.interactivity, name="interactivity"),
]

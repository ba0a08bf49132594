from django.urls import URLPattern, path

from hotwash.integrations.teams import views

app_name = "teams_bot"

urlpatterns: list[URLPattern] = [
    path("messages", views.messages, name="messages"),
]

"""Pages for action items, mounted under the language prefix."""

from django.urls import URLPattern, URLResolver

app_name = "actions"
urlpatterns: list[URLPattern | URLResolver] = []

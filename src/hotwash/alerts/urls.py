"""Pages for alerts, mounted under the language prefix."""

from django.urls import URLPattern, URLResolver

app_name = "alerts"
urlpatterns: list[URLPattern | URLResolver] = []

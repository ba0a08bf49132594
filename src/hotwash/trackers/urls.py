"""Pages for trackers, mounted under the language prefix."""

from django.urls import URLPattern, URLResolver

app_name = "trackers"
urlpatterns: list[URLPattern | URLResolver] = []

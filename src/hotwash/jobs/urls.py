"""Pages for background jobs, mounted under the language prefix."""

from django.urls import URLPattern, URLResolver

app_name = "jobs"
urlpatterns: list[URLPattern | URLResolver] = []

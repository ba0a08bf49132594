"""Pages for postmortems, mounted under the language prefix."""

from django.urls import URLPattern, URLResolver

app_name = "postmortems"
urlpatterns: list[URLPattern | URLResolver] = []

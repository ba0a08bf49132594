"""Pages of stakeholder updates, mounted under the language prefix (the
update form on the incident page posts here)."""

from django.urls import URLPattern, URLResolver, path

from hotwash.statuspage import update_views

app_name = "updates"
urlpatterns: list[URLPattern | URLResolver] = [
    path("incidents/<str:ref>/updates/", update_views.publish, name="publish"),
]

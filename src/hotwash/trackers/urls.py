"""Pages for trackers, mounted under the language prefix."""

from django.urls import URLPattern, URLResolver, path

from hotwash.trackers import views

app_name = "trackers"
urlpatterns: list[URLPattern | URLResolver] = [
    path("items/<str:ref>/push/", views.push_item, name="push"),
]

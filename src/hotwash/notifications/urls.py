"""Pages for notifications, mounted under the language prefix."""

from django.urls import URLPattern, URLResolver, path

from hotwash.notifications import views

app_name = "notifications"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.preferences, name="preferences"),
    path("follow/incidents/<str:ref>/", views.follow_incident, name="follow_incident"),
    path("follow/services/<path:name>/", views.follow_service, name="follow_service"),
]

from django.urls import URLPattern, path

from hotwash.live import views

app_name = "live"
urlpatterns: list[URLPattern] = [
    path("incidents/<int:pk>/events", views.incident_events, name="incident-events"),
]

from django.urls import URLPattern, path

from hotwash.incidents.views import live as views

app_name = "live"
urlpatterns: list[URLPattern] = [
    path("incidents/<int:pk>/events", views.incident_events, name="incident-events"),
]

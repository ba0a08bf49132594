"""Pages for alerts, mounted under the language prefix."""

from django.urls import URLPattern, URLResolver, path

from hotwash.alerts import views

app_name = "alerts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.group_list, name="groups"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
]

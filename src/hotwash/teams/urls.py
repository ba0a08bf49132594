"""Pages of the service catalog, mounted under the language prefix at
/<lang>/services/. A service is addressed by its name, which may hold
spaces or slashes (incidents name services freely): hence `path:`."""

from django.urls import URLPattern, URLResolver, path

from hotwash.teams import views

app_name = "teams"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.service_list, name="services"),
    path("new/", views.service_create, name="service-create"),
    path("<path:name>/edit/", views.service_edit, name="service-edit"),
    path("<path:name>/", views.service_detail, name="service"),
]

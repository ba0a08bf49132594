"""Pages for action items, mounted under the language prefix at
/<lang>/action-items/."""

from django.urls import URLPattern, URLResolver, path

from hotwash.actions import views

app_name = "actions"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.item_list, name="list"),
    path("new/", views.create_item, name="create"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("<int:pk>/", views.item_detail, name="detail"),
    path("<int:pk>/edit/", views.edit_item, name="edit"),
    path("<int:pk>/status/", views.change_status, name="status"),
]

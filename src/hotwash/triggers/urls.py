"""Pages for triggers, mounted under the language prefix at /triggers/."""

from django.urls import URLPattern, URLResolver, path

from hotwash.triggers import views

app_name = "triggers"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.overview, name="overview"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("proposals/<int:proposal_id>/accept/", views.accept, name="accept"),
    path("proposals/<int:proposal_id>/dismiss/", views.dismiss, name="dismiss"),
]

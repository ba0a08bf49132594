"""The review and confirm page of a postmortem's public version, mounted
under /<lang>/postmortems/<pk>/public-version/ by hotwash/urls.py."""

from django.urls import path

from hotwash.sharing import views

app_name = "sharing"

urlpatterns = [
    path("", views.review, name="review"),
    path("prepare/", views.prepare, name="prepare"),
    path("title/", views.set_title, name="title"),
    path("replacements/", views.add_replacement, name="add"),
    path("replacements/undo/", views.undo_replacement, name="undo"),
    path("confirm/", views.confirm, name="confirm"),
]

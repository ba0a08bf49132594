from django.urls import URLPattern, path

from hotwash.chat import views

app_name = "chat"

urlpatterns: list[URLPattern] = [
    path("accounts/", views.identities, name="identities"),
    path("accounts/<int:identity_id>/unlink/", views.unlink, name="unlink"),
    path("link/<str:token>/", views.link, name="link"),
]

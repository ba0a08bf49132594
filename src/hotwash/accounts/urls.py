from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path

from hotwash.accounts import views

urlpatterns: list[URLPattern] = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", views.preferences, name="preferences"),
]

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path

from hotwash.accounts import views
from hotwash.accounts.throttling import SignInForm

urlpatterns: list[URLPattern] = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", views.preferences, name="preferences"),
    path(
        "preferences/tokens/<int:token_id>/revoke/",
        views.revoke_token,
        name="revoke-token",
    ),
]

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy, ngettext

from hotwash.accounts import oidc_admin  # noqa: F401 (single sign-on identities)
from hotwash.accounts.models import ApiToken, Profile
from hotwash.accounts.services import unlock_sign_in
from hotwash.accounts.throttling import AdminSignInForm

# The admin's sign-in page is throttled like the site's; say so when it is.
admin.site.login_form = AdminSignInForm


admin.site.unregister(User)


@admin.register(User)
class HotwashUserAdmin(UserAdmin[User]):
    """Django's user admin, plus unlocking someone locked out of signing in."""

    actions = ["unlock_sign_in"]

    @admin.action(description=gettext_lazy("Unlock sign-in"), permissions=["change"])
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request.user if isinstance(request.user, User) else None
        users = list(queryset)
        for user in users:
            unlock_sign_in(user, actor=actor)
        self.message_user(
            request,
            ngettext(
                "%(count)d person can sign in again.",
                "%(count)d people can sign in again.",
                len(users),
            )
            % {"count": len(users)},
        )


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin[Profile]):
    list_display = ("user", "role", "timezone", "language")
    list_filter = ("role", "language")
    search_fields = ("user__username", "user__email")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens are created with `hotwash createtoken`; here they can only be
    inspected, revoked (set "revoked at") or given an expiry. People revoke
    their own on their preferences page."""

    list_display = (
        "prefix",
        "user",
        "name",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    readonly_fields = ("user", "digest", "prefix", "created_at", "last_used_at")
    search_fields = ("user__username", "name", "prefix")

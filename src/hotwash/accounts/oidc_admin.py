"""Single sign-on identities in the admin: see who is linked to which
provider subject, unlink someone, or link an existing account by hand (the
`auth.login_failed` audit record of a refused first sign-in carries the
issuer and subject to enter)."""

from __future__ import annotations

from django.contrib import admin

from hotwash.accounts.oidc_models import OidcIdentity


@admin.register(OidcIdentity)
class OidcIdentityAdmin(admin.ModelAdmin[OidcIdentity]):
    list_display = ("user", "subject", "issuer", "created_at", "last_sign_in_at")
    search_fields = ("user__username", "user__email", "subject")
    list_filter = ("issuer",)
    readonly_fields = ("last_sign_in_at",)
    raw_id_fields = ("user",)

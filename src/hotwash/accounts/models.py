from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a person may do. Viewers read; responders run incidents; admins
    also see every private incident and manage accounts."""

    VIEWER = "viewer", _("Viewer")
    RESPONDER = "responder", _("Responder")
    ADMIN = "admin", _("Admin")


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.RESPONDER)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token itself
    is shown once, when it is created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # None: works until revoked.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class FeedToken(models.Model):
    """A person's token for feed readers, which cannot sign in: it is part of
    the feed's address, so it only reads feeds (never the API or a page).
    One per person; making a new one replaces the old. Only a SHA-256
    digest is stored."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_token"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("feed token")
        verbose_name_plural = _("feed tokens")

    def __str__(self) -> str:
        return f"feed token ({self.user})"


# Single sign-on identities live in their own module (hotwash/accounts/oidc.py).
from hotwash.accounts.oidc_models import OidcIdentity  # noqa: E402, F401

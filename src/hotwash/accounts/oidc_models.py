"""Who someone is at the organisation's identity provider.

An account signed on with OpenID Connect is found again by the provider's
`sub` claim (stable, never reassigned; an email address can change or be
given to someone else), scoped by the issuer that said it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OidcIdentity(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="oidc_identities",
    )
    issuer = models.CharField(_("issuer"), max_length=255)
    # OpenID Connect Core 2: at most 255 ASCII characters.
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_sign_in_at = models.DateTimeField(_("last sign-in at"), null=True, blank=True)

    class Meta:
        verbose_name = _("single sign-on identity")
        verbose_name_plural = _("single sign-on identities")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="oidc_identity_unique_subject"
            ),
            # One identity per provider and account: linking never stacks a
            # second person onto an account.
            models.UniqueConstraint(fields=["issuer", "user"], name="oidc_identity_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.issuer} ({self.user})"

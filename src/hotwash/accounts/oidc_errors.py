"""Why a single sign-on attempt did not sign anyone in, and what the person
is told. Each kind has its HTTP status (never 500), a short reason for the
audit record, and a translated explanation shown in the site's layout."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy


class SignInProblem(Exception):
    """A sign-in with the identity provider that went wrong. `detail` is
    for the audit record and logs, never shown."""

    status = 403
    reason = "refused"
    title: Promise = gettext_lazy("Sign-in did not complete")
    text: Promise = gettext_lazy("%(provider)s did not sign you in. Try again.")
    # Offer to start again from the provider (some problems only go away
    # once the person or the provider does something).
    retry = True

    def __init__(self, detail: str = "", **params: Any) -> None:
        super().__init__(detail or self.reason)
        self.detail = detail
        self.params = params

    def message(self) -> str:
        return str(self.text) % {"provider": provider_name(), **self.params}

    def audit_details(self) -> dict[str, Any]:
        """What the audit record keeps beyond the reason: never a token."""
        return {"detail": self.detail[:300]}


def provider_name() -> str:
    return str(settings.OIDC_NAME)


class ProviderUnavailable(SignInProblem):
    """The provider did not answer, or answered that it is in trouble."""

    status = 503
    reason = "provider_unavailable"
    title = gettext_lazy("Sign-in is unavailable for now")
    text = gettext_lazy(
        "%(provider)s cannot be reached right now, so Hotwash cannot sign you in with it. "
        "Try again in a few minutes; if it goes on, tell your administrator."
    )


class ProviderMisbehaved(SignInProblem):
    """The provider answered something that is not what OpenID Connect
    says it answers (not JSON, missing fields, an error status)."""

    status = 502
    reason = "provider_bad_answer"
    title = gettext_lazy("Sign-in did not complete")
    text = gettext_lazy(
        "%(provider)s gave an unexpected answer, so Hotwash could not sign you in. "
        "Try again; if it happens again, tell your administrator."
    )


class TokenInvalid(SignInProblem):
    """The ID token (or userinfo) failed a check: signature, key, issuer,
    audience, expiry, nonce, subject."""

    status = 403
    reason = "id_token_invalid"
    title = gettext_lazy("Sign-in refused")
    text = gettext_lazy(
        "Your sign-in could not be verified: the answer from %(provider)s did not pass "
        "Hotwash's checks, so nothing was changed. Start again from the sign-in page."
    )


class StateInvalid(SignInProblem):
    """The answer does not belong to a sign-in this browser started, or was
    already used, or is too old."""

    status = 400
    reason = "state_invalid"
    title = gettext_lazy("This sign-in link cannot be used")
    text = gettext_lazy(
        "This sign-in link has expired, was already used, or was started in another "
        "browser. Start again from the sign-in page."
    )


class ProviderRefused(SignInProblem):
    """The provider sent the person back with an error (they cancelled,
    or are not allowed to use Hotwash there)."""

    status = 403
    reason = "provider_error"
    title = gettext_lazy("Sign-in did not complete")
    text = gettext_lazy(
        "%(provider)s did not sign you in (it answered “%(error)s”). Try again, or ask "
        "your administrator for access to Hotwash."
    )


class AccountInactive(SignInProblem):
    status = 403
    reason = "account_inactive"
    title = gettext_lazy("Sign-in refused")
    text = gettext_lazy(
        "Your Hotwash account is deactivated. Ask an administrator if you need it again."
    )
    retry = False


class EmailNotVerified(SignInProblem):
    """An account with this email exists, and the provider did not say the
    address is verified: linking them could hand that account to whoever
    typed the address at the provider."""

    status = 409
    reason = "email_not_verified"
    title = gettext_lazy("Your account needs an administrator")
    text = gettext_lazy(
        "A Hotwash account with the email address %(email)s already exists, but "
        "%(provider)s did not confirm that this address is verified, so Hotwash will not "
        "link them. Ask an administrator to link your account."
    )
    retry = False

    def audit_details(self) -> dict[str, Any]:
        return {**super().audit_details(), **self.params}


class AccountAmbiguous(EmailNotVerified):
    """Several accounts have the email, or the account is already linked to
    another identity at this provider."""

    reason = "account_ambiguous"
    text = gettext_lazy(
        "Hotwash cannot tell which account is yours: the email address %(email)s belongs "
        "to several accounts, or to one already linked to another identity at "
        "%(provider)s. Ask an administrator to link your account."
    )

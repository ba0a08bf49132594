"""Single sign-on settings, checked at start-up.

settings.py reads the HOTWASH_OIDC_* variables and hands their values to
`oidc_settings`; imported by it, so nothing here touches Django. A wrong
value stops Hotwash with the variable's name, like every other setting; the
identity provider itself is not contacted until someone signs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from hotwash.envconfig import ConfigurationError

# Kept in step with hotwash.accounts.models.Role (which needs Django).
ROLES = ("viewer", "responder", "admin")
DEFAULT_SCOPES = "openid email profile"


@dataclass(frozen=True)
class OidcSettings:
    issuer: str  # empty: single sign-on is off
    client_id: str
    client_secret: str
    name: str
    role_claim: str
    role_map: dict[str, str]
    scopes: str
    password_login: bool


def parse_role_map(name: str, raw: str) -> dict[str, str]:
    """`group=role,group=role` → {group: role}; roles are viewer,
    responder or admin; a group named twice is a mistake."""
    mapping: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        group, sep, role = (part.strip() for part in item.partition("="))
        if not sep or not group or "=" in role:
            raise ConfigurationError(
                f"{name} must be a comma-separated list of group=role "
                f"(for example hotwash-admins=admin,hotwash-responders=responder); "
                f"got {item.strip()!r}"
            )
        if role not in ROLES:
            raise ConfigurationError(
                f"{name}: {role!r} (for {group!r}) is not a role; use one of {', '.join(ROLES)}"
            )
        if group in mapping:
            raise ConfigurationError(f"{name} names the group {group!r} twice")
        mapping[group] = role
    return mapping


def _issuer(name: str, raw: str, *, production: bool) -> str:
    issuer = raw.strip().rstrip("/")
    if not issuer:
        return ""
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigurationError(
            f"{name} must be the provider's issuer URL "
            f"(for example https://login.microsoftonline.com/<tenant-id>/v2.0); got {raw!r}"
        )
    if production and parts.scheme != "https":
        raise ConfigurationError(f"HOTWASH_PRODUCTION is on, so {name} must use https; got {raw!r}")
    return issuer


def oidc_settings(
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    name: str,
    scopes: str,
    role_claim: str,
    role_map: str,
    password_login: bool,
    production: bool,
) -> OidcSettings:
    """The single sign-on settings from the HOTWASH_OIDC_* variables'
    values (read in settings.py), checked together."""
    issuer = _issuer("HOTWASH_OIDC_ISSUER", issuer, production=production)
    client_id, client_secret = client_id.strip(), client_secret.strip()
    if issuer:
        for variable, value in (
            ("HOTWASH_OIDC_CLIENT_ID", client_id),
            ("HOTWASH_OIDC_CLIENT_SECRET", client_secret),
        ):
            if not value:
                raise ConfigurationError(
                    f"HOTWASH_OIDC_ISSUER is set, so {variable} must be set too (the "
                    "application's credentials at the identity provider)"
                )
    scopes = " ".join(scopes.split())
    if "openid" not in scopes.split():
        raise ConfigurationError(f"HOTWASH_OIDC_SCOPES must include openid; got {scopes!r}")
    if not password_login and not issuer:
        raise ConfigurationError(
            "HOTWASH_PASSWORD_LOGIN is 0, but single sign-on is not configured "
            "(HOTWASH_OIDC_ISSUER): nobody could sign in"
        )
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        # Shown on the sign-in page: "Sign in with <name>".
        name=name.strip() or "SSO",
        role_claim=role_claim.strip() or "groups",
        role_map=parse_role_map("HOTWASH_OIDC_ROLE_MAP", role_map),
        scopes=scopes,
        password_login=password_login,
    )

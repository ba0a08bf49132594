"""Trust between the bot and the Bot Framework, both ways, as Microsoft's
"Authenticate requests with the Bot Connector API" describes it.

Incoming (the Bot Connector calls /integrations/teams/messages): the
request's `Authorization: Bearer <JWT>` must be
- signed (RS256) by a key of the JWKS that the OpenID metadata document
  (HOTWASH_TEAMS_OPENID_URL) names in `jwks_uri`; the keys are cached, and
  fetched again when a token names a `kid` not in the cache, at most once
  every KEY_REFRESH_INTERVAL (a stream of made-up kids must not make
  Hotwash hammer Microsoft);
- issued by https://api.botframework.com, for this bot (`aud` is
  HOTWASH_TEAMS_APP_ID), not expired (five minutes of clock skew allowed);
- for the activity's own `serviceUrl` (the token's `serviceUrl` claim);
- endorsed for the activity's channel when the key lists endorsements;
- and, the bot being single-tenant, the activity comes from
  HOTWASH_TEAMS_TENANT_ID (`channelData.tenant.id`, `conversation.tenantId`).

Outgoing (the bot calls the Bot Connector): a token from the client
credentials grant of the bot's tenant (HOTWASH_TEAMS_TOKEN_URL), scope
https://api.botframework.com/.default, cached until shortly before it
expires. The bot proves itself with its client secret
(HOTWASH_TEAMS_APP_PASSWORD) or, when HOTWASH_TEAMS_CERTIFICATE_FILE is
set, with a client assertion signed by its certificate's key (Microsoft
identity platform's "certificate credentials").
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from django.conf import settings

ISSUER = "https://api.botframework.com"
SCOPE = "https://api.botframework.com/.default"
ALGORITHMS = ["RS256"]
CLOCK_SKEW = 300  # seconds, as the documentation allows
METADATA_LIFETIME = 24 * 3600.0  # Microsoft rotates keys, announcing them a day ahead
KEY_REFRESH_INTERVAL = 60.0  # at most one refresh a minute for unknown kids
TOKEN_MARGIN = 300.0  # a token is renewed five minutes before it expires
TEAMS_CHANNEL = "msteams"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 600


def monotonic() -> float:
    """The clock of the caches (a function, so tests can move it)."""
    return time.monotonic()


class Unauthenticated(Exception):
    """The request is not from the Bot Framework for this bot: 401."""


class TokenUnavailable(Exception):
    """The bot could not get its own token. `status` and `retry_after` say
    what the token endpoint answered, when it answered."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass
class _Keys:
    by_kid: dict[str, dict[str, Any]]
    fetched_at: float


class KeySet:
    """The Bot Framework's signing keys, cached for the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: _Keys | None = None
        self._source = ""

    def forget(self) -> None:
        with self._lock:
            self._keys = None

    def key(self, kid: str) -> dict[str, Any]:
        """The JWK named `kid`; Unauthenticated when the Bot Framework does
        not publish it (after at most one bounded refresh)."""
        now = monotonic()
        with self._lock:
            source = settings.TEAMS_OPENID_URL
            keys = self._keys if self._source == source else None
            stale = keys is None or now - keys.fetched_at > METADATA_LIFETIME
            unknown = keys is not None and kid not in keys.by_kid
            may_refresh = keys is None or now - keys.fetched_at > KEY_REFRESH_INTERVAL
            if stale or (unknown and may_refresh):
                keys = self._fetch(source, now)
                self._keys, self._source = keys, source
            assert keys is not None
            found = keys.by_kid.get(kid)
        if found is None:
            raise Unauthenticated("unknown signing key")
        return found

    @staticmethod
    def _fetch(source: str, now: float) -> _Keys:
        try:
            with httpx.Client(timeout=settings.TEAMS_TIMEOUT, follow_redirects=False) as client:
                metadata = client.get(source).raise_for_status().json()
                jwks = client.get(str(metadata["jwks_uri"])).raise_for_status().json()
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            # The signature cannot be checked, so the request is refused.
            raise Unauthenticated(f"signing keys unavailable ({type(error).__name__})") from None
        keys = {
            str(key["kid"]): key
            for key in jwks.get("keys", [])
            if isinstance(key, dict) and key.get("kid")
        }
        return _Keys(by_kid=keys, fetched_at=now)


signing_keys = KeySet()


def verify_request(authorization: str, activity: Mapping[str, Any]) -> dict[str, Any]:
    """The token's claims when `authorization` proves that `activity` comes
    from the Bot Framework for this bot and tenant; Unauthenticated
    otherwise (the message says why, for the log, never for the caller)."""
    app_id = settings.TEAMS_APP_ID
    if not app_id:
        raise Unauthenticated("HOTWASH_TEAMS_APP_ID is not set")
    scheme, _space, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("no bearer token")
    try:
        header = jwt.get_unverified_header(token.strip())
    except jwt.PyJWTError:
        raise Unauthenticated("malformed token") from None
    if header.get("alg") not in ALGORITHMS:
        raise Unauthenticated("unexpected algorithm")
    jwk = signing_keys.key(str(header.get("kid") or ""))
    try:
        public_key = jwt.PyJWK(jwk).key
        claims: dict[str, Any] = jwt.decode(
            token.strip(),
            key=public_key,
            algorithms=ALGORITHMS,
            audience=app_id,
            issuer=ISSUER,
            leeway=CLOCK_SKEW,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.PyJWTError as error:
        raise Unauthenticated(f"invalid token ({type(error).__name__})") from None
    _check_endorsement(jwk, activity)
    service_url = str(activity.get("serviceUrl") or "")
    if not service_url or claims.get("serviceUrl") != service_url:
        raise Unauthenticated("the token is for another serviceUrl")
    tenant = settings.TEAMS_TENANT_ID
    if not tenant or activity_tenant(activity) != tenant:
        raise Unauthenticated("the activity comes from another tenant")
    return claims


def _check_endorsement(jwk: Mapping[str, Any], activity: Mapping[str, Any]) -> None:
    endorsements = jwk.get("endorsements")
    endorsed = isinstance(endorsements, list) and bool(endorsements)
    if endorsed and str(activity.get("channelId") or "") not in endorsements:  # type: ignore[operator]
        raise Unauthenticated("the key is not endorsed for this channel")


def activity_tenant(activity: Mapping[str, Any]) -> str:
    channel_data = activity.get("channelData")
    if isinstance(channel_data, Mapping):
        tenant = channel_data.get("tenant")
        if isinstance(tenant, Mapping) and tenant.get("id"):
            return str(tenant["id"])
    conversation = activity.get("conversation")
    if isinstance(conversation, Mapping) and conversation.get("tenantId"):
        return str(conversation["tenantId"])
    return ""


# --- the bot's own token -------------------------------------------------------------


class BotToken:
    """The bot's token for the Bot Connector, cached for the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token = ""
        self._expires = 0.0
        self._source = ""

    def forget(self) -> None:
        with self._lock:
            self._token, self._expires = "", 0.0

    def get(self) -> str:
        url = settings.TEAMS_TOKEN_URL.replace("{tenant}", settings.TEAMS_TENANT_ID)
        with self._lock:
            now = monotonic()
            if self._token and self._source == url and now < self._expires - TOKEN_MARGIN:
                return self._token
            token, lifetime = _request_token(url)
            self._token, self._expires, self._source = token, now + lifetime, url
            return token


def _request_token(url: str) -> tuple[str, float]:
    app_id = settings.TEAMS_APP_ID
    has_credential = settings.TEAMS_APP_PASSWORD or settings.TEAMS_CERTIFICATE_FILE
    if not (app_id and has_credential and settings.TEAMS_TENANT_ID):
        raise TokenUnavailable(
            "The Teams bot is not configured: set HOTWASH_TEAMS_APP_ID, "
            "HOTWASH_TEAMS_APP_PASSWORD (or HOTWASH_TEAMS_CERTIFICATE_FILE) and "
            "HOTWASH_TEAMS_TENANT_ID."
        )
    form = {"grant_type": "client_credentials", "client_id": app_id, "scope": SCOPE}
    if settings.TEAMS_CERTIFICATE_FILE:
        form["client_assertion_type"] = ASSERTION_TYPE
        form["client_assertion"] = client_assertion(url, settings.TEAMS_CERTIFICATE_FILE)
    else:
        form["client_secret"] = settings.TEAMS_APP_PASSWORD
    try:
        with httpx.Client(timeout=settings.TEAMS_TIMEOUT, follow_redirects=False) as client:
            response = client.post(url, data=form)
    except httpx.HTTPError as error:
        raise TokenUnavailable(
            f"The Microsoft token endpoint could not be reached ({type(error).__name__})."
        ) from None
    if response.status_code != 200:
        retry = response.headers.get("retry-after", "")
        raise TokenUnavailable(
            f"The Microsoft token endpoint refused the bot's credentials "
            f"(HTTP {response.status_code}{_error_of(response)}).",
            status=response.status_code,
            retry_after=float(retry) if retry.isdigit() else None,
        )
    try:
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in") or 3600)
    except (ValueError, KeyError, TypeError):
        raise TokenUnavailable("The Microsoft token endpoint gave no token.") from None


def client_assertion(url: str, pem_file: str) -> str:
    """A JWT signed with the certificate's private key, naming the
    certificate by its thumbprints, for the token endpoint at `url`."""
    try:
        pem = Path(pem_file).read_bytes()
        key = serialization.load_pem_private_key(pem, password=None)
        certificate = x509.load_pem_x509_certificate(pem)
    except (OSError, ValueError) as error:
        raise TokenUnavailable(
            f"The Teams bot's certificate file {pem_file} cannot be read "
            f"({type(error).__name__}): it must hold the private key and the certificate, PEM."
        ) from None
    now = int(time.time())
    app_id = settings.TEAMS_APP_ID
    claims = {
        "aud": url,
        "iss": app_id,
        "sub": app_id,
        "jti": str(uuid.uuid4()),
        "nbf": now,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
    }
    headers = {
        # SHA-1 because Entra ID's `x5t` is defined so; SHA-256 beside it.
        "x5t": _thumbprint(certificate, hashes.SHA1()),
        "x5t#S256": _thumbprint(certificate, hashes.SHA256()),
    }
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)  # type: ignore[arg-type]


def _thumbprint(certificate: x509.Certificate, algorithm: hashes.HashAlgorithm) -> str:
    return base64.urlsafe_b64encode(certificate.fingerprint(algorithm)).rstrip(b"=").decode()


def _error_of(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return f": {error}" if isinstance(error, str) and error else ""


bot_token = BotToken()

"""Single sign-on with OpenID Connect (Microsoft Entra ID, Google Workspace,
Okta, Keycloak, ...), through mozilla-django-oidc.

The library expects the provider's endpoints as settings at import time;
here they come from the provider's discovery document
(`<issuer>/.well-known/openid-configuration`), fetched when someone signs
in and kept in this process for a few minutes, like its signing keys. A
provider that is down therefore never stops Hotwash: signing in with it
shows a clear page (503, or 502 for an answer that makes no sense), and the
rest of Hotwash works.

The flow is the authorization code flow with PKCE (S256), a `state` bound
to the browser's session and used once, and a `nonce`. The ID token must be
RS256, signed by a key from the provider's JWKS (matched by `kid`), for
this client (`aud`, and `azp` when there are several audiences), from this
issuer, and not expired. Accounts are found, linked or created in
hotwash/accounts/oidc_accounts.py; signing in goes through
django.contrib.auth.login, so the usual sign-in audit record is written.
A failed attempt writes an `auth.login_failed` audit record with
`method: oidc` and the reason (not Django's user_login_failed signal: that
would count against the sign-in throttle for an empty username and
address, and could lock a whole office out of single sign-on).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import jwt
import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from hotwash.accounts.oidc_accounts import sign_on
from hotwash.accounts.oidc_errors import (
    ProviderMisbehaved,
    ProviderRefused,
    ProviderUnavailable,
    SignInProblem,
    StateInvalid,
    TokenInvalid,
)
from hotwash.accounts.services import profile_for
from hotwash.accounts.throttling import client_address
from hotwash.core.audit import record_audit

logger = logging.getLogger(__name__)

# The discovery document and the signing keys are kept this long in each
# process: a sign-in costs no extra round trip, and a provider's new keys or
# endpoints are picked up within minutes (an unknown `kid` refetches at once).
CACHE_SECONDS = 300.0
# Seconds to connect and to read, for every call to the provider.
TIMEOUT = (5.0, 10.0)
# Clock difference tolerated between Hotwash and the provider.
LEEWAY_SECONDS = 60
# A sign-in started longer ago than this cannot be finished.
STATE_MAX_AGE_SECONDS = 15 * 60
SIGNING_ALGORITHM = "RS256"


def configured() -> bool:
    return bool(settings.OIDC_ISSUER)


def callback_url() -> str:
    """The redirect URI registered with the provider: one for every
    language, from the site's public address (never from the Host header)."""
    return str(settings.SITE_URL) + reverse("oidc_authentication_callback")


# --- discovery and keys, fetched when needed, kept briefly ----------------------


@dataclass(frozen=True)
class Provider:
    """What the discovery document says (OpenID Connect Discovery 1.0, 3)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    token_auth_methods: tuple[str, ...]


T = TypeVar("T")
_cache: dict[tuple[str, str], tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def forget_provider() -> None:
    """Drop the remembered discovery document and keys (tests; a change of
    provider)."""
    with _cache_lock:
        _cache.clear()


def _remembered(key: tuple[str, str], load: Callable[[], T], *, refresh: bool = False) -> T:
    now = time.monotonic()
    if not refresh:
        with _cache_lock:
            hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            value: T = hit[1]
            return value
    loaded = load()  # a failure is not remembered: the next sign-in tries again
    with _cache_lock:
        _cache[key] = (now + CACHE_SECONDS, loaded)
    return loaded


@contextmanager
def provider_errors() -> Iterator[None]:
    """Turn what `requests` raises into a sign-in problem with its status."""
    try:
        yield
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else 0
        if status >= 500 or status == 429:
            raise ProviderUnavailable(f"HTTP {status}") from error
        raise ProviderMisbehaved(f"HTTP {status}: {error}") from error
    except (requests.ConnectionError, requests.Timeout) as error:
        raise ProviderUnavailable(type(error).__name__) from error
    except (requests.RequestException, ValueError) as error:  # not JSON, a bad URL
        raise ProviderMisbehaved(f"{type(error).__name__}: {error}") from error


def _get_json(url: str) -> Any:
    with provider_errors():
        response = requests.get(url, timeout=TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()


def provider() -> Provider:
    """The configured provider's endpoints, from its discovery document."""
    issuer = str(settings.OIDC_ISSUER)
    return _remembered(("discovery", issuer), lambda: _discover(issuer))


def _discover(issuer: str) -> Provider:
    document = _get_json(f"{issuer}/.well-known/openid-configuration")
    if not isinstance(document, dict):
        raise ProviderMisbehaved("discovery document is not an object")
    # Discovery 4.3: the issuer in the document is the one asked for.
    stated = document.get("issuer")
    if not isinstance(stated, str) or stated.rstrip("/") != issuer:
        raise ProviderMisbehaved(f"discovery names issuer {stated!r}, not {issuer!r}")
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        url = document.get(name)
        if not _is_web_address(url):
            raise ProviderMisbehaved(f"discovery has no usable {name}")
        endpoints[name] = str(url)
    userinfo = document.get("userinfo_endpoint")
    methods = document.get("token_endpoint_auth_methods_supported")
    return Provider(
        issuer=stated,
        userinfo_endpoint=str(userinfo) if _is_web_address(userinfo) else None,
        token_auth_methods=tuple(m for m in methods if isinstance(m, str))
        if isinstance(methods, list)
        else (),
        **endpoints,
    )


def _is_web_address(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def signing_keys(*, refresh: bool = False) -> list[dict[str, Any]]:
    """The provider's published keys (RFC 7517)."""
    jwks_uri = provider().jwks_uri

    def load() -> list[dict[str, Any]]:
        document = _get_json(jwks_uri)
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise ProviderMisbehaved("JWKS has no keys")
        return [key for key in keys if isinstance(key, dict)]

    return _remembered(("jwks", jwks_uri), load, refresh=refresh)


def _matching_key(keys: list[dict[str, Any]], kid: Any) -> dict[str, Any] | None:
    usable = [
        key
        for key in keys
        if key.get("kty") == "RSA"
        and key.get("alg", SIGNING_ALGORITHM) == SIGNING_ALGORITHM
        and key.get("use", "sig") == "sig"
    ]
    if kid is None:  # a token without `kid` is only fine when there is one key
        return usable[0] if len(usable) == 1 else None
    return next((key for key in usable if key.get("kid") == kid), None)


# --- mozilla-django-oidc, with endpoints from discovery --------------------------


def library_setting(name: str, *default: Any) -> Any:
    """What mozilla-django-oidc reads as settings: fixed here, so operators
    only ever set the HOTWASH_OIDC_* variables."""
    fixed: dict[str, Any] = {
        "OIDC_RP_CLIENT_ID": settings.OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.OIDC_CLIENT_SECRET,
        "OIDC_RP_SIGN_ALGO": SIGNING_ALGORITHM,
        "OIDC_RP_IDP_SIGN_KEY": None,
        "OIDC_RP_SCOPES": settings.OIDC_SCOPES,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_PKCE_CODE_VERIFIER_SIZE": 64,
        "OIDC_STATE_SIZE": 32,
        "OIDC_NONCE_SIZE": 32,
        "OIDC_TIMEOUT": TIMEOUT,
        "OIDC_VERIFY_SSL": True,
        "OIDC_PROXY": None,
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_STORE_ACCESS_TOKEN": False,
        "OIDC_STORE_ID_TOKEN": False,
        "OIDC_CREATE_USER": True,
        "OIDC_REDIRECT_FIELD_NAME": "next",
        "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc_authentication_callback",
        "OIDC_AUTH_REQUEST_EXTRA_PARAMS": {},
    }
    if name in fixed:
        return fixed[name]
    if name == "OIDC_TOKEN_USE_BASIC_AUTH":
        # client_secret_post unless the provider lists methods without it
        # (RFC 6749 2.3.1: every provider takes HTTP Basic).
        methods = provider().token_auth_methods
        return bool(methods) and "client_secret_post" not in methods
    return import_from_settings(name, *default)


class OidcBackend(OIDCAuthenticationBackend):
    """The library's backend, answering only the callback view's call (it
    passes `nonce`; a password sign-in never does)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The library reads endpoint settings here; they come from discovery
        # when a sign-in needs them (the properties below).
        self.UserModel = User
        self.OIDC_RP_SIGN_ALGO = SIGNING_ALGORITHM
        self.OIDC_RP_IDP_SIGN_KEY = None

    get_settings = staticmethod(library_setting)

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:  # the library's name
        return str(settings.OIDC_CLIENT_ID)

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(settings.OIDC_CLIENT_SECRET)

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return provider().token_endpoint

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str | None:
        return provider().userinfo_endpoint

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return provider().jwks_uri

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or "nonce" not in kwargs or not configured():
            return None
        user: User | None = super().authenticate(request, **kwargs)
        return user

    def get_user(self, user_id: int) -> User | None:
        # Django's check (a deactivated account's sessions stop working),
        # which the library's version leaves out.
        user: User | None = ModelBackend.get_user(self, user_id)
        return user

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        payload["redirect_uri"] = callback_url()
        with provider_errors():
            answer = super().get_token(payload)
        if not isinstance(answer, dict) or not all(
            isinstance(answer.get(name), str) for name in ("id_token", "access_token")
        ):
            raise ProviderMisbehaved("token answer without id_token or access_token")
        return answer

    def retrieve_matching_jwk(self, token: str) -> jwt.PyJWK:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise TokenInvalid(f"ID token header: {error}") from error
        for refresh in (False, True):  # a new key: the provider rotated them
            key = _matching_key(signing_keys(refresh=refresh), kid)
            if key is not None:
                try:
                    return jwt.PyJWK(key)
                except jwt.PyJWTError as error:
                    raise ProviderMisbehaved(f"JWKS key {kid!r}: {error}") from error
        raise TokenInvalid(f"no published key has kid {kid!r}")

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        """Signature, algorithm, issuer, audience, expiry (the library's own
        version checks neither audience nor issuer)."""
        try:
            if jwt.get_unverified_header(payload).get("alg") != SIGNING_ALGORITHM:
                raise TokenInvalid("ID token not signed with RS256")
            claims: dict[str, Any] = jwt.decode(
                payload,
                key,
                algorithms=[SIGNING_ALGORITHM],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=provider().issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.PyJWTError as error:
            raise TokenInvalid(f"ID token: {type(error).__name__}: {error}") from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise TokenInvalid("ID token for several audiences without our azp")
        return claims

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = super().verify_token(token, **kwargs)
        except SuspiciousOperation as error:  # the library's nonce check
            raise TokenInvalid(str(error)) from error
        return claims

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """The ID token's claims with the userinfo endpoint's on top (some
        providers put groups or names in only one of them)."""
        if provider().userinfo_endpoint is None:
            return dict(payload)
        with provider_errors():
            info = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(info, dict):
            raise ProviderMisbehaved("userinfo is not an object")
        if info.get("sub") != payload.get("sub"):  # Core 5.3.2: must be equal
            raise TokenInvalid("userinfo is about another subject")
        return {**payload, **info}

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        claims = self.get_userinfo(access_token, id_token, payload)
        return sign_on(issuer=provider().issuer, claims=claims)


class PasswordSignInSwitch:
    """HOTWASH_PASSWORD_LOGIN=0: refuse every password sign-in (the sign-in
    page, the admin's, anything calling authenticate with a password)
    before a password is checked. It has no get_user on purpose: it is never
    the backend a session belongs to."""

    def authenticate(
        self, request: HttpRequest | None, password: str | None = None, **kwargs: Any
    ) -> None:
        if password is not None and not settings.PASSWORD_LOGIN:
            # Django turns this into a failed sign-in (signal, audit record).
            raise PermissionDenied("password sign-in is switched off")


# --- the two views ---------------------------------------------------------------


def problem_page(request: HttpRequest, problem: SignInProblem) -> HttpResponse:
    """The translated page for a failed sign-in, in the site's layout, and
    its audit record."""
    logger.warning("single sign-on refused (%s): %s", problem.reason, problem.detail)
    record_audit(
        actor=None,
        action="auth.login_failed",
        obj=User,
        changes={
            "method": "oidc",
            "reason": problem.reason,
            "issuer": str(settings.OIDC_ISSUER),
            "address": client_address(request),
            "path": request.path,
            **problem.audit_details(),
        },
    )
    context = {
        "title": problem.title,
        "message": problem.message(),
        "retry": problem.retry,
    }
    return render(request, "accounts/sign_in_problem.html", context, status=problem.status)


class OidcStartView(OIDCAuthenticationRequestView):
    """/oidc/authenticate/: remember state, nonce and PKCE verifier in the
    session, send the browser to the provider."""

    def __init__(self, **kwargs: Any) -> None:
        # Not the library's __init__: it reads the endpoint from settings.
        View.__init__(self, **kwargs)

    get_settings = staticmethod(library_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not configured():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider().authorization_endpoint
        except SignInProblem as problem:
            return problem_page(request, problem)
        self.OIDC_RP_CLIENT_ID = str(settings.OIDC_CLIENT_ID)
        response: HttpResponse = super().get(request)
        return response

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        # Replaces the library's redirect_uri (built from the Host header).
        return {"redirect_uri": callback_url()}


class OidcCallbackView(OIDCAuthenticationCallbackView):
    """/oidc/callback/: the provider sends the browser back here with a
    code (or an error) and the state."""

    get_settings = staticmethod(library_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not configured():
            raise Http404
        try:
            return self._finish(request)
        except SignInProblem as problem:
            return problem_page(request, problem)

    def _finish(self, request: HttpRequest) -> HttpResponse:
        state = request.GET.get("state", "")
        known = _take_state_if_failed(request, state)
        if request.GET.get("error"):
            raise ProviderRefused(
                "provider answered an error", error=_error_code(request.GET["error"])
            )
        if not request.GET.get("code") or not known:
            raise StateInvalid("missing code, or a state this session did not start")
        try:
            response: HttpResponse = super().get(request)
        except SuspiciousOperation as error:  # the library's own state check
            raise StateInvalid(str(error)) from error
        return response

    def login_failure(self) -> HttpResponse:
        # Reached only when authenticate() found nobody without saying why.
        raise TokenInvalid("no account for this sign-in")

    def login_success(self) -> HttpResponse:
        response: HttpResponse = super().login_success()
        self.request.session.pop("oidc_login_next", None)
        return response

    @property
    def success_url(self) -> str:
        next_url = self.request.session.get("oidc_login_next")
        if isinstance(next_url, str) and next_url:
            return next_url
        # Home, in the person's own language.
        with translation.override(profile_for(self.user).language):
            return reverse("incidents:home")


def _take_state_if_failed(request: HttpRequest, state: str) -> bool:
    """Whether `state` is one this session started and still fresh. With an
    error, or too old, it is spent here; otherwise the library spends it."""
    states = request.session.get("oidc_states")
    entry = states.get(state) if isinstance(states, dict) and state else None
    if not isinstance(entry, dict):
        return False
    too_old = time.time() - float(entry.get("added_on") or 0) > STATE_MAX_AGE_SECONDS
    if too_old or request.GET.get("error"):
        del states[state]  # type: ignore[union-attr]
        request.session.modified = True
        return False
    return True


def _error_code(raw: str) -> str:
    """The provider's error code (RFC 6749 4.1.2.1), trimmed to what such
    codes are made of; shown in the page."""
    return "".join(char for char in raw if char.isalnum() or char in "_-.")[:64]

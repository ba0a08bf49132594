"""Alert sources authenticate with their own token, never a person's.

Each kind of source (alerts/sources.py) picks one of two ways here.
Most send `Authorization: Bearer <token>` (AlertSourceToken). Amazon SNS
cannot set headers, but it does HTTP Basic authentication from credentials
in the subscription URL (`https://hotwash:<token>@host/...`): it posts once
without them, and again with them after a 401 that carries
`WWW-Authenticate: Basic` (AlertSourceBasic). A token in the query string is
never accepted: it would end up in access logs.

A token is looked up by its SHA-256 digest, so the time a lookup takes says
nothing about the token; the digest found is compared again in constant
time all the same.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBasicAuth, HttpBearer

from hotwash.accounts.services import token_digest
from hotwash.alerts.models import AlertSource
from hotwash.core.api.errors import CredentialsRefused

# Like personal tokens (accounts.services): a process remembers a source
# briefly, because a storm sends thousands of requests a second. Disabling
# a source or replacing its token takes effect at once in this process and
# within SOURCE_CACHE_SECONDS in the others.
SOURCE_CACHE_SECONDS = 5.0
SOURCE_CACHE_MAX = 1024
_cache: dict[str, tuple[float, AlertSource]] = {}
_cache_lock = threading.Lock()


def forget_sources() -> None:
    with _cache_lock:
        _cache.clear()


def source_for_token(token: str) -> AlertSource | None:
    """The enabled source a token belongs to, or None."""
    digest = token_digest(token)
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(digest)
    if cached is not None and cached[0] > now:
        source = cached[1]
    else:
        found = AlertSource.objects.filter(digest=digest, enabled=True).first()
        if found is None:
            return None
        source = found
        with _cache_lock:
            if len(_cache) >= SOURCE_CACHE_MAX:
                _cache.clear()
            _cache[digest] = (now + SOURCE_CACHE_SECONDS, source)
    return source if hmac.compare_digest(source.digest, digest) else None


def _check(source: AlertSource | None, kind: str) -> AlertSource:
    if source is None:
        raise CredentialsRefused(
            _(
                "This alert source token is not valid: it may be mistyped, replaced or its "
                "source disabled. Create one with: hotwash createtoken --source NAME"
            )
        )
    if source.kind != kind:
        raise CredentialsRefused(
            _(
                "This token belongs to the alert source %(name)s, which posts to "
                "/api/v1/alerts/%(kind)s."
            )
            % {"name": source.name, "kind": source.kind}
        )
    return source


class AlertSourceToken(HttpBearer):
    """`Authorization: Bearer <token>` with an alert source's token."""

    openapi_description = (
        "An alert source's token (hotwash createtoken --source NAME), not a personal one."
    )

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def __call__(self, request: HttpRequest) -> AlertSource:
        scheme, _space, token = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise CredentialsRefused(
                _(
                    "Send the alert source's token in the header Authorization: Bearer <token> "
                    "(create one with: hotwash createtoken --source NAME)."
                )
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> AlertSource:
        return _check(source_for_token(token), self.kind)


@dataclass(frozen=True)
class Refusal:
    """Credentials missing or wrong on an endpoint that takes HTTP Basic.
    The view answers it with a Basic challenge (the API's own 401 announces
    Bearer), which is what makes a sender like Amazon SNS send the
    credentials of its subscription URL."""

    message: str


class AlertSourceBasic(HttpBasicAuth):
    """HTTP Basic with any user name and the source's token as password, for
    senders that cannot set headers but take credentials in the URL (Amazon
    SNS); a Bearer header works too, for testing with curl. `where` says, in
    the reader's language, where the token goes; `description` documents
    the scheme in the API document."""

    def __init__(self, kind: str, *, where: Callable[[], str], description: str) -> None:
        self.kind = kind
        self.where = where
        # Read by ninja's __init__ into the API document's security scheme.
        self.openapi_description = description
        super().__init__()

    def __call__(self, request: HttpRequest) -> AlertSource | Refusal:
        scheme, _space, value = request.headers.get("Authorization", "").strip().partition(" ")
        token = ""
        if scheme.lower() == "bearer":
            token = value.strip()
        elif scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            token = decoded.partition(":")[2]
        if not token:
            return Refusal(self.where())
        return self.authenticate(request, "", token)

    def authenticate(
        self, request: HttpRequest, username: str, password: str
    ) -> AlertSource | Refusal:
        try:
            return _check(source_for_token(password), self.kind)
        except CredentialsRefused as refused:
            return Refusal(f"{refused} {self.where()}")

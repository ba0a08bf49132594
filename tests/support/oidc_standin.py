"""A stand-in OpenID Provider on loopback, written from the specifications.

It implements what a relying party meets in the authorization code flow:

- Discovery (OpenID Connect Discovery 1.0, section 4): the provider's
  metadata at `/.well-known/openid-configuration`.
- The authorization endpoint (OpenID Connect Core 1.0, 3.1.2): checks the
  client, the redirect URI, the scope, the PKCE challenge (RFC 7636, S256
  only) and redirects back with `code` and `state`.
- The token endpoint (Core 3.1.3, RFC 6749 4.1.3): client authentication by
  `client_secret_basic` or `client_secret_post`, a code usable once, the
  same redirect URI, and the PKCE `code_verifier` checked against the
  challenge; answers with an access token and an RS256-signed ID token
  (RFC 7515/7519) carrying `iss`, `sub`, `aud`, `exp`, `iat`, `nonce`.
- The JWKS endpoint (RFC 7517): the public key, with its `kid`.
- The userinfo endpoint (Core 5.3): claims for a bearer access token.

The JWS is made here by hand with `cryptography`, not with the JWT library
Hotwash verifies with, so a fault shared by both sides cannot hide.

Tests say who signs in next (`sign_in_as`), script one fault of the next ID
token (`fault`), make the provider answer garbage (`garbage`), and read what
it received (`requests`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.servers import POLL

# Faults the next ID token can carry, each something a relying party must
# refuse.
FAULTS = ("tampered", "wrong_audience", "expired", "wrong_nonce", "wrong_issuer", "unknown_key")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


@dataclass
class Grant:
    """What the authorization endpoint remembers for one code."""

    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str
    claims: dict[str, Any]
    used: bool = False


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]] = field(default_factory=dict)


class OidcStandIn:
    """An OpenID Provider at http://127.0.0.1:<free port>. Use as a context
    manager; `stop()` takes it down early (a provider that went away)."""

    def __init__(
        self,
        *,
        client_id: str = "hotwash-tests",
        client_secret: str = "stand-in-secret",
        redirect_uris: tuple[str, ...] = (),
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "stand-in-key-1"
        self.identity: dict[str, Any] = {"sub": "user-1"}
        self.userinfo_extra: dict[str, Any] = {}
        self.fault: str | None = None
        self.garbage: set[str] = set()  # endpoint names that answer garbage
        self.requests: list[Seen] = []
        self._grants: dict[str, Grant] = {}
        self._access_tokens: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL,), daemon=True
        )
        self._running = False

    # --- lifecycle ---------------------------------------------------------
    def __enter__(self) -> OidcStandIn:
        self._thread.start()
        self._running = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._running:
            self._server.shutdown()
            self._server.server_close()
            self._running = False

    # --- what tests script -------------------------------------------------
    def sign_in_as(self, **claims: Any) -> None:
        """The person the next authorization is for: `sub` and any claims
        (email, name, groups, locale, zoneinfo, ...)."""
        self.identity = claims

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    # --- the provider's metadata -------------------------------------------
    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "nonce",
                "email",
                "email_verified",
                "name",
                "given_name",
                "family_name",
                "locale",
                "zoneinfo",
                "groups",
            ],
        }

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.kid,
                    "n": b64url(_int_bytes(numbers.n)),
                    "e": b64url(_int_bytes(numbers.e)),
                }
            ]
        }

    # --- ID tokens -----------------------------------------------------------
    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        """A compact JWS (RFC 7515) of `claims`, RS256 with the stand-in's key."""
        header = {"alg": "RS256", "typ": "JWT", "kid": kid or self.kid}
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        )
        signature = self.key.sign(
            signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
        return signing_input + "." + b64url(signature)

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            **grant.claims,
            "iss": self.issuer,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        fault, self.fault = self.fault, None
        if fault == "wrong_audience":
            claims["aud"] = "some-other-application"
        elif fault == "expired":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        elif fault == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        elif fault == "wrong_issuer":
            claims["iss"] = "https://impostor.example"
        elif fault == "unknown_key":
            return self.sign(claims, kid="a-key-nobody-published")
        token = self.sign(claims)
        if fault == "tampered":
            # Someone on the way grants themselves more: the payload changes,
            # the signature stays.
            header, _payload, signature = token.split(".")
            forged = {**claims, "groups": ["hotwash-admins"], "sub": "someone-else"}
            token = f"{header}.{b64url(json.dumps(forged).encode())}.{signature}"
        return token

    # --- HTTP ------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                provider._serve(self, "GET")

            def do_POST(self) -> None:
                provider._serve(self, "POST")

        return Handler

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        form: dict[str, list[str]] = {}
        if method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            form = parse_qs(handler.rfile.read(length).decode())
        with self._lock:
            self.requests.append(Seen(method, url.path, parse_qs(url.query), form))
        routes = {
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/authorize"): self._authorize,
            ("POST", "/token"): self._token,
            ("GET", "/jwks"): self._jwks,
            ("GET", "/userinfo"): self._userinfo,
        }
        route = routes.get((method, url.path))
        if route is None:
            self._reply(handler, 404, {"error": "not_found"})
            return
        route(handler, parse_qs(url.query), form)

    def _reply(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _garbage(self, handler: BaseHTTPRequestHandler, endpoint: str) -> bool:
        if endpoint not in self.garbage:
            return False
        self._reply(handler, 200, b"<html>Service temporarily unavailable</html>")
        return True

    def _discovery(self, handler: BaseHTTPRequestHandler, query: Any, form: Any) -> None:
        if not self._garbage(handler, "discovery"):
            self._reply(handler, 200, self.metadata())

    def _jwks(self, handler: BaseHTTPRequestHandler, query: Any, form: Any) -> None:
        if not self._garbage(handler, "jwks"):
            self._reply(handler, 200, self.jwks())

    def _authorize(
        self, handler: BaseHTTPRequestHandler, query: dict[str, list[str]], form: Any
    ) -> None:
        param = {name: values[0] for name, values in query.items()}
        redirect_uri = param.get("redirect_uri", "")
        if param.get("client_id") != self.client_id:
            self._reply(handler, 400, {"error": "unauthorized_client"})
            return
        if self.redirect_uris and redirect_uri not in self.redirect_uris:
            # Never redirect to an unregistered address (Core 3.1.2.1).
            self._reply(handler, 400, {"error": "invalid_request", "detail": "redirect_uri"})
            return
        problem = self._authorize_problem(param)
        if problem:
            self._redirect(handler, redirect_uri, {"error": problem, "state": param.get("state")})
            return
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                nonce=param.get("nonce"),
                code_challenge=param["code_challenge"],
                claims=dict(self.identity),
            )
        self._redirect(handler, redirect_uri, {"code": code, "state": param.get("state")})

    @staticmethod
    def _authorize_problem(param: dict[str, str]) -> str | None:
        if param.get("response_type") != "code":
            return "unsupported_response_type"
        if "openid" not in param.get("scope", "").split():
            return "invalid_scope"
        if param.get("code_challenge_method") != "S256" or not param.get("code_challenge"):
            return "invalid_request"  # PKCE with S256 is required here
        return None

    def _redirect(
        self, handler: BaseHTTPRequestHandler, redirect_uri: str, params: dict[str, Any]
    ) -> None:
        query = urlencode({name: value for name, value in params.items() if value is not None})
        separator = "&" if "?" in redirect_uri else "?"
        handler.send_response(302)
        handler.send_header("Location", f"{redirect_uri}{separator}{query}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _client_authenticated(self, handler: BaseHTTPRequestHandler, param: dict[str, str]) -> bool:
        authorization = handler.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _sep, secret = decoded.partition(":")
        else:
            client_id, secret = param.get("client_id", ""), param.get("client_secret", "")
        return client_id == self.client_id and secrets.compare_digest(secret, self.client_secret)

    def _token(
        self, handler: BaseHTTPRequestHandler, query: Any, form: dict[str, list[str]]
    ) -> None:
        if self._garbage(handler, "token"):
            return
        param = {name: values[0] for name, values in form.items()}
        if not self._client_authenticated(handler, param):
            self._reply(handler, 401, {"error": "invalid_client"})
            return
        if param.get("grant_type") != "authorization_code":
            self._reply(handler, 400, {"error": "unsupported_grant_type"})
            return
        with self._lock:
            grant = self._grants.get(param.get("code", ""))
            fresh = grant is not None and not grant.used
            if grant is not None:
                grant.used = True
        if grant is None or not fresh:
            self._reply(handler, 400, {"error": "invalid_grant"})
            return
        verifier = param.get("code_verifier", "")
        challenge = b64url(hashlib.sha256(verifier.encode("ascii")).digest())
        if not verifier or challenge != grant.code_challenge:
            self._reply(handler, 400, {"error": "invalid_grant", "detail": "code_verifier"})
            return
        if param.get("redirect_uri") != grant.redirect_uri:
            self._reply(handler, 400, {"error": "invalid_grant", "detail": "redirect_uri"})
            return
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = {**grant.claims, **self.userinfo_extra}
        self._reply(
            handler,
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": self.id_token(grant),
            },
        )

    def _userinfo(self, handler: BaseHTTPRequestHandler, query: Any, form: Any) -> None:
        if self._garbage(handler, "userinfo"):
            return
        authorization = handler.headers.get("Authorization", "")
        with self._lock:
            claims = self._access_tokens.get(authorization.removeprefix("Bearer "))
        if not authorization.startswith("Bearer ") or claims is None:
            self._reply(handler, 401, {"error": "invalid_token"}, {"WWW-Authenticate": "Bearer"})
            return
        self._reply(handler, 200, claims)

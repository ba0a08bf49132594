"""The thin serving layer: the stored public status page and feeds, ahead of
Django's middleware.

A status page is read hardest when things are down. Through the full
middleware stack a small page answers about 190 requests/s per server here;
this layer answers from memory: GET or HEAD of a stored path (no query
string), with the headers the site sends on every page (the
Content-Security-Policy, nosniff, Referrer-Policy, Cross-Origin-Opener-
Policy, X-Frame-Options, and HSTS over HTTPS), a strong ETag (If-None-Match
gives 304) and a short `Cache-Control: public`. Anything else (a POST, a
query string, an unknown host, plain HTTP when HTTPS is required, a path
not stored) goes on to Django unchanged.

Each process keeps a copy of the stored pages and asks the database at
most every STATUS_PAGE_CHECK_SECONDS whether their generation changed (one
indexed MAX query); one thread asks while the others keep serving the copy
they have. So a new update is served everywhere within that interval of
its render, and most requests touch no database at all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import connections
from django.http.request import split_domain_port, validate_host

logger = logging.getLogger("hotwash.statuspage")

# Every stored path is /<language>/status/...
STATUS = "/status/"
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Page:
    body: bytes
    etag: str
    content_type: str
    language: str


def security_headers(secure: bool) -> list[tuple[str, str]]:
    """The headers Django's middleware adds to every page (SecurityMiddleware,
    django-csp, XFrameOptionsMiddleware), from the same settings.
    tests/statuspage/test_fast_path.py compares them with a page Django serves."""
    from csp.utils import build_policy

    headers = [("X-Frame-Options", settings.X_FRAME_OPTIONS)]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        if not isinstance(policy, str):
            policy = ",".join(policy)
        headers.append(("Referrer-Policy", policy))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    if csp := build_policy():
        headers.append(("Content-Security-Policy", csp))
    if secure and settings.SECURE_HSTS_SECONDS:
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        headers.append(("Strict-Transport-Security", value))
    return headers


class StoredPages:
    """WSGI middleware: serves `RenderedPage` rows, passes the rest to `app`."""

    def __init__(self, app: WSGIApp, *, check_seconds: float | None = None) -> None:
        self.app = app
        self.check_seconds = check_seconds
        self.pages: dict[str, Page] = {}
        self.generation = -1
        self.checked_at = float("-inf")
        self.lock = threading.Lock()
        self.failing = False
        self._headers: dict[bool, list[tuple[str, str]]] = {}

    # --- the copy -------------------------------------------------------------

    def _interval(self) -> float:
        if self.check_seconds is not None:
            return self.check_seconds
        return float(settings.STATUS_PAGE_CHECK_SECONDS)

    def refresh(self, force: bool = False) -> None:
        """Bring the copy up to date if the interval has passed; only one
        thread asks, the others serve what is there."""
        if not force and time.monotonic() - self.checked_at < self._interval():
            return
        if not self.lock.acquire(blocking=force):
            return
        try:
            if not force and time.monotonic() - self.checked_at < self._interval():
                return
            self._load()
            self.checked_at = time.monotonic()
            self.failing = False
        except Exception:
            # The database is unreachable: serve the copy (or let Django
            # answer), and ask again after the interval; say so once.
            self.checked_at = time.monotonic()
            if not self.failing:
                logger.exception("Reading the stored status pages failed")
            self.failing = True
        finally:
            self.lock.release()

    def _load(self) -> None:
        from hotwash.statuspage.models import RenderedPage
        from hotwash.statuspage.pages import current_generation

        connection = connections["default"]
        try:
            generation = current_generation()
            if generation == self.generation:
                return
            pages = {
                row.path: Page(bytes(row.body), row.etag, row.content_type, row.language)
                for row in RenderedPage.objects.filter(path__startswith="/")
            }
            self.pages = pages
            self.generation = generation
        finally:
            # Outside Django's request cycle nothing would return this
            # thread's connection (to PostgreSQL's pool): do it now.
            if not connection.in_atomic_block:
                connection.close()

    # --- serving --------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if method not in ("GET", "HEAD") or environ.get("QUERY_STRING") or STATUS not in path:
            return self.app(environ, start_response)
        self.refresh()
        page = self.pages.get(path)
        if page is None or not self._acceptable(environ):
            return self.app(environ, start_response)
        secure = environ.get("wsgi.url_scheme") == "https" or _forwarded_https(environ)
        headers = [
            ("ETag", page.etag),
            ("Cache-Control", f"public, max-age={settings.STATUS_PAGE_MAX_AGE}"),
            ("Content-Language", page.language),
            *self._security(secure),
        ]
        if self._not_modified(environ.get("HTTP_IF_NONE_MATCH", ""), page.etag):
            start_response(_status(HTTPStatus.NOT_MODIFIED), headers)
            return []
        headers += [("Content-Type", page.content_type), ("Content-Length", str(len(page.body)))]
        start_response(_status(HTTPStatus.OK), headers)
        return [] if method == "HEAD" else [page.body]

    def _security(self, secure: bool) -> list[tuple[str, str]]:
        headers = self._headers.get(secure)
        if headers is None:
            headers = self._headers[secure] = security_headers(secure)
        return headers

    def _acceptable(self, environ: dict[str, Any]) -> bool:
        """What Django would check before serving: a host it accepts, and
        HTTPS when HTTPS is required (otherwise Django redirects)."""
        secure = environ.get("wsgi.url_scheme") == "https" or _forwarded_https(environ)
        if settings.SECURE_SSL_REDIRECT and not secure:
            return False
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        domain, _port = split_domain_port(host)
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        return bool(domain) and validate_host(domain, allowed)

    @staticmethod
    def _not_modified(header: str, etag: str) -> bool:
        if not header:
            return False
        # If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x".
        tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
        return "*" in tags or etag in tags


def _forwarded_https(environ: dict[str, Any]) -> bool:
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy:
        return False
    name, value = proxy
    return bool(environ.get(name, "").split(",")[0].strip() == value)


def _status(status: HTTPStatus) -> str:
    return f"{status.value} {status.phrase}"

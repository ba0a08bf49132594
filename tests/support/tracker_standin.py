"""The HTTP plumbing the tracker stand-ins share.

Each tracker's stand-in (tests/integrations/<tracker>/standin.py) is a small
threaded HTTP server (http.server) on loopback that implements the
documented REST endpoints Hotwash calls, with their status codes,
pagination and rate-limit headers, and that can sign webhooks the way the
real tracker does. Tests script failures (`fail_next`), read what Hotwash
sent (`requests`) and change issues as a person would (`close`, `reopen`).
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, cast
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.servers import POLL

Route = tuple[str, re.Pattern[str], Callable[..., "Reply"]]


@dataclass
class Recorded:
    """One request the stand-in received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Scripted:
    """A canned answer for the next matching request."""

    status: int
    headers: dict[str, str]
    body: Any
    method: str | None
    drop: bool  # do the work, then close the connection without answering


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class StandIn:
    """A tracker on 127.0.0.1:<free port>. Use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._script: deque[Scripted] = deque()
        self._lock = threading.RLock()
        self._routes: list[Route] = []
        self.routes()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                standin._serve(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL,), daemon=True
        )

    # --- lifecycle -------------------------------------------------------------

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        # typeshed allows a bytes host for any socket family; AF_INET gives str.
        host, port = cast(tuple[str, int], self._server.server_address[:2])
        return f"http://{host}:{port}"

    # --- what subclasses provide ---------------------------------------------------

    def routes(self) -> None:
        raise NotImplementedError

    def route(self, method: str, pattern: str, handler: Callable[..., Reply]) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def authorised(self, headers: dict[str, str]) -> bool:
        raise NotImplementedError

    # --- scripting -----------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
        method: str | None = None,
    ) -> None:
        """Answer the next `times` requests (of `method`, if given) with `status`."""
        with self._lock:
            for _ in range(times):
                self._script.append(
                    Scripted(status, headers or {}, body or {"message": "scripted"}, method, False)
                )

    def drop_next_response(self, method: str = "POST") -> None:
        """Handle the next `method` request normally, then hang up without
        answering: the client never learns what happened."""
        with self._lock:
            self._script.append(Scripted(0, {}, None, method, True))

    def sent(self, method: str, path_prefix: str = "") -> list[Recorded]:
        with self._lock:
            return [
                r for r in self.requests if r.method == method and r.path.startswith(path_prefix)
            ]

    # --- serving -------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {key.lower(): value for key, value in handler.headers.items()}
        recorded = Recorded(handler.command, parts.path, parse_qs(parts.query), headers, body)
        with self._lock:
            self.requests.append(recorded)
            scripted = self._next_scripted(handler.command)
        if scripted is not None and not scripted.drop:
            self._write(handler, Reply(scripted.status, scripted.body, scripted.headers))
            return
        if not self.authorised(headers):
            self._write(handler, Reply(401, {"message": "Bad credentials"}))
            return
        reply = self._dispatch(recorded)
        if scripted is not None and scripted.drop:
            handler.close_connection = True
            return
        self._write(handler, reply)

    def _next_scripted(self, method: str) -> Scripted | None:
        for index, scripted in enumerate(self._script):
            if scripted.method in (None, method):
                del self._script[index]
                return scripted
        return None

    def _dispatch(self, request: Recorded) -> Reply:
        for method, pattern, function in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                with self._lock:
                    return function(request, *match.groups())
        return Reply(404, {"message": "Not Found"})

    def _write(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(payload)

    # --- webhooks ------------------------------------------------------------------

    @staticmethod
    def deliver(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST a webhook to a real Hotwash server, as the tracker would."""
        return httpx.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=10
        )


def one(query: dict[str, list[str]], name: str, default: str = "") -> str:
    values = query.get(name)
    return values[0] if values else default


def page_of(items: list[Any], query: dict[str, list[str]]) -> tuple[list[Any], int, int]:
    """The requested page (`page`, `per_page`), its number and the last page's."""
    per_page = max(1, min(100, int(one(query, "per_page", "30"))))
    page = max(1, int(one(query, "page", "1")))
    last = max(1, -(-len(items) // per_page))
    return items[(page - 1) * per_page : page * per_page], page, last

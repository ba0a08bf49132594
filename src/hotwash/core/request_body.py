"""Request bodies without a length, read at the WSGI boundary.

A client that streams its body (`Transfer-Encoding: chunked`, as httpx,
curl and Go's net/http do for a body of unknown size) sends no
Content-Length. Django reads exactly CONTENT_LENGTH bytes of `wsgi.input`,
so such a body reached the views empty. `read_unsized_bodies` reads it first,
at most settings.MAX_BODY_BYTES + 1 bytes, and hands Django the body with
its length; a body over the limit is not read further and is flagged
(BODY_OVER_LIMIT) for BodySizeLimitMiddleware to refuse with 413.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from django.conf import settings

# The environ key (and request.META key) that marks a body over the limit.
BODY_OVER_LIMIT = "hotwash.body_over_limit"
READ_BLOCK_BYTES = 64 * 1024

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def has_unsized_body(environ: dict[str, Any]) -> bool:
    """A body is coming but its length is not announced."""
    if environ.get("CONTENT_LENGTH"):
        return False
    return "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()


def read_at_most(stream: BinaryIO, limit: int) -> bytes:
    """Up to `limit` bytes of `stream`, fewer only at its end."""
    blocks: list[bytes] = []
    left = limit
    while left > 0:
        block = stream.read(min(READ_BLOCK_BYTES, left))
        if not block:
            break
        blocks.append(block)
        left -= len(block)
    return b"".join(blocks)


def read_unsized_bodies(app: WSGIApp) -> WSGIApp:
    """Wrap a WSGI application so it sees every body with its length."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if has_unsized_body(environ):
            limit: int = settings.MAX_BODY_BYTES
            body = read_at_most(environ["wsgi.input"], limit + 1)
            if len(body) > limit:
                environ[BODY_OVER_LIMIT] = True
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return application

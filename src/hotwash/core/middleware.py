from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.responders import StaticFile

from hotwash.core.api.errors import error_json
from hotwash.core.request_body import BODY_OVER_LIMIT

STATIC_BLOCK_BYTES = 256 * 1024


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """Static files through Django (WhiteNoise), so they carry the security
    headers SecurityMiddleware adds (X-Content-Type-Options: nosniff);
    granian's own static route cannot add headers.

    `hotwash serve` collects the files into STATIC_ROOT first; a process
    started otherwise (tests, `hotwash runserver`) has no such folder yet and
    serves straight from the apps (WHITENOISE_USE_FINDERS), without
    WhiteNoise's warning about the missing folder."""

    def add_files(self, root: str | Path, prefix: str | None = None) -> None:
        if Path(root).is_dir():
            super().add_files(root, prefix)

    @staticmethod
    def serve(static_file: StaticFile, request: HttpRequest) -> HttpResponseBase:
        response: FileResponse = WhiteNoiseMiddleware.serve(static_file, request)
        # granian offers no wsgi.file_wrapper, so Django sends the file in
        # blocks of this size: 4 kB by default, 370 blocks for the API docs'
        # 1.5 MB script.
        response.block_size = STATIC_BLOCK_BYTES
        return response


class BodySizeLimitMiddleware:
    """Refuse request bodies over settings.MAX_BODY_BYTES with 413 before any
    view reads them, so an oversized request changes nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit: int = settings.MAX_BODY_BYTES
        if request.META.get(BODY_OVER_LIMIT):
            # A streamed body (no Content-Length), read up to the limit only.
            return self.refuse(
                request,
                _("The request body is larger than the limit of %(limit)d bytes.")
                % {"limit": limit},
            )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            _discard_body(request, length, limit)
            return self.refuse(
                request,
                _("The request body is %(size)d bytes; the limit is %(limit)d bytes.")
                % {"size": length, "limit": limit},
            )
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest, message: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return error_json(413, message)
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


# How much of a declared-too-large body is read and thrown away before the 413,
# as a multiple of the limit: a client sends its whole body before it reads the
# answer, and a server that closes the connection mid-body leaves it with "server
# disconnected" instead of the 413. Beyond this, the connection is closed unread.
DISCARD_LIMITS = 4
DISCARD_CHUNK_BYTES = 64 * 1024


def _discard_body(request: HttpRequest, length: int, limit: int) -> None:
    if length > DISCARD_LIMITS * limit:
        return
    stream = request.META.get("wsgi.input")
    if stream is None:
        return
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(DISCARD_CHUNK_BYTES, remaining))
        if not chunk:
            return
        remaining -= len(chunk)

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from hotwash.core.errors import error_json


class BodySizeLimitMiddleware:
    """Refuse request bodies over settings.MAX_BODY_BYTES with 413 before any
    view reads them, so an oversized request changes nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit: int = settings.MAX_BODY_BYTES
        if length > limit:
            message = _("The request body is %(size)d bytes; the limit is %(limit)d bytes.") % {
                "size": length,
                "limit": limit,
            }
            if request.path.startswith("/api/"):
                return error_json(413, message)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

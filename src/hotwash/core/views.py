from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import defaults

from hotwash.core.errors import error_json


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON for API clients (any path under /api/), the HTML page otherwise."""
    if request.path.startswith("/api/"):
        message = _("There is nothing at %(path)s; the API lives under /api/v1/.") % {
            "path": request.path
        }
        return error_json(404, message)
    return defaults.page_not_found(request, exception)

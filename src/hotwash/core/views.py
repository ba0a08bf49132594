from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON for API clients (any path under /api/), the HTML page otherwise."""
    if request.path.startswith("/api/"):
        message = _("There is nothing at %(path)s; the API lives under /api/v1/.") % {
            "path": request.path
        }
        return JsonResponse(
            {"message": message, "field": None, "errors": [{"field": None, "message": message}]},
            status=404,
        )
    return defaults.page_not_found(request, exception)

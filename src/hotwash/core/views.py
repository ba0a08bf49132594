from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults

from hotwash.core.api.errors import error_json

# What an API client (or anyone asking for plain text) is told about a 500.
SERVER_ERROR_MESSAGE = gettext_lazy(
    "Something went wrong on our side; everything confirmed before this error is saved. "
    "Try again in a moment."
)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON for API clients (any path under /api/), the HTML page otherwise."""
    if request.path.startswith("/api/"):
        message = _("There is nothing at %(path)s; the API lives under /api/v1/.") % {
            "path": request.path
        }
        return error_json(404, message)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest | None) -> HttpResponse:
    """Hotwash's own 500: JSON for API clients, the HTML page otherwise.

    Something already failed, perhaps the database: render with no request
    context (no context processors, no session, no user), in whatever
    language the request had activated."""
    if request is not None and request.path.startswith("/api/"):
        return error_json(500, str(SERVER_ERROR_MESSAGE))
    return HttpResponseServerError(loader.get_template("500.html").render())

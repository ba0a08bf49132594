"""Django's debug pages, for admins only.

Django's technical pages print settings, environment variables and the local
variables of every frame: passwords in DATABASE_URL or HOTWASH_SMTP_URL
included. DEBUG is off unless HOTWASH_DEBUG=1 (settings.py), and even then
only a signed-in admin sees them; everyone else sees Hotwash's own pages.

Two hooks, because Django renders its debug pages from two places:
- every technical 500 (and the debug 400 for a bad or suspicious request),
  whatever raised it (a view, a template, a middleware), goes through the
  exception reporter class: `AdminOnlyExceptionReporter` is
  DEFAULT_EXCEPTION_REPORTER;
- the technical 404 has no such hook: `AdminOnlyDebugPagesMiddleware` swaps
  it for Hotwash's own "not found".
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.debug import ExceptionReporter

from hotwash.core.views import SERVER_ERROR_MESSAGE, not_found


def may_see_debug_pages(request: HttpRequest | None) -> bool:
    """DEBUG is on and a signed-in admin asked. Decided while handling an
    error that may be the database's own, so any doubt means no."""
    if not settings.DEBUG or request is None:
        return False
    user = getattr(request, "user", None)
    if user is None:
        return False
    # Imported here: Django imports this module while it configures logging
    # (for error emails), before the apps and their models are loaded.
    from hotwash.accounts.permissions import is_admin

    try:
        return is_admin(user)
    except Exception:  # the session or the profile could not be read
        return False


class AdminOnlyExceptionReporter(ExceptionReporter):
    """Django's traceback for an admin; Hotwash's own page for anyone else.

    With DEBUG off Django never renders this for a visitor (only for logs
    and error emails), so it then keeps the full traceback."""

    def _shows_traceback(self) -> bool:
        return not settings.DEBUG or may_see_debug_pages(self.request)

    def _bad_request(self) -> Exception | None:
        """The refused request's exception, when a 400 is what Django sends."""
        exception = self.exc_value
        return exception if isinstance(exception, (BadRequest, SuspiciousOperation)) else None

    def get_traceback_html(self) -> SafeString:
        if self._shows_traceback():
            return super().get_traceback_html()
        bad_request = self._bad_request()
        if bad_request is not None and self.request is not None:
            page = defaults.bad_request(self.request, bad_request)
            return mark_safe(page.content.decode())  # Django's own rendered page
        # Like the 500 handler: no request context, nothing that could fail again.
        return mark_safe(loader.get_template("500.html").render())  # a rendered template

    def get_traceback_text(self) -> SafeString:
        # Sent as text/plain; "safe" only because the base class promises it.
        if self._shows_traceback():
            return super().get_traceback_text()
        if self._bad_request() is not None:
            return mark_safe(_("The request could not be understood."))
        return mark_safe(str(SERVER_ERROR_MESSAGE))


class AdminOnlyDebugPagesMiddleware:
    """With DEBUG on, Hotwash's own 404 instead of Django's technical one
    (which lists every URL pattern) for anyone but a signed-in admin."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No route matched: with DEBUG on, Django answered with its own page.
        unrouted = response.status_code == 404 and request.resolver_match is None
        if unrouted and settings.DEBUG and not may_see_debug_pages(request):
            return not_found(request, Http404())
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A view's "not found" (a private incident, say) under DEBUG."""
        if isinstance(exception, Http404) and settings.DEBUG and not may_see_debug_pages(request):
            return not_found(request, exception)
        return None

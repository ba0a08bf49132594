"""Every API error is JSON of one shape:

    {"message": "<a sentence a person can act on>",
     "field": "<the field at fault, or null>",
     "errors": [{"field": ..., "message": ...}, ...]}

`message` and `field` repeat the first entry of `errors`, so a simple client
can show one line and a form can mark every field. Domain errors from the
services, ninja's request validation, malformed JSON, authentication, unknown
routes and unexpected failures all end up here; so do the JSON errors sent
outside the API (the live streams, the middleware, the error pages).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.parser import Parser
from pydantic import Field
from pydantic_core import ErrorDetails

from hotwash.core.api.schemas import ApiModel
from hotwash.core.errors import DomainError
from hotwash.core.validators import out_of_range

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("hotwash.api")

DOCS_HINT_PATH = "/api/v1/docs"


# --- the shape --------------------------------------------------------------------


# One entry of `errors`: {"field": ..., "message": ...}.
ErrorEntry = dict[str, str | None]


def error_body(
    message: str, field: str | None = None, errors: Sequence[ErrorEntry] = ()
) -> dict[str, Any]:
    """The one JSON error shape; `errors` defaults to the message itself."""
    items = list(errors) or [{"field": field, "message": message}]
    return {"message": message, "field": field, "errors": items}


def error_json(status: int, message: str, field: str | None = None) -> JsonResponse:
    """An error response in the one shape, for code outside ninja's handlers."""
    return JsonResponse(error_body(message, field), status=status)


class ErrorItem(ApiModel):
    field: str | None = Field(description="The request field at fault, or null.")
    message: str = Field(description="What is wrong, in the request's language.")


class Error(ApiModel):
    """Every error response has this shape."""

    message: str = Field(description="A sentence a person can act on.")
    field: str | None = Field(description="The field at fault (first of `errors`), or null.")
    errors: list[ErrorItem] = Field(description="Every problem found, one per field.")


def error_responses(*statuses: int) -> dict[Any, Any]:
    """An operation's `response` entries for the ways it can fail, each
    answered with an `Error`."""
    return {frozenset(statuses): Error}


# Every operation can fail in these ways.
ERRORS = error_responses(400, 401, 403, 404, 409, 422)


# --- request bodies -----------------------------------------------------------


class MalformedBody(ValueError):
    """The body is not a JSON document; the message says why, for a person."""


class JsonParser(Parser):
    """Ninja's JSON parser, with errors that say what is wrong and where."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedBody(
                _("The request body is not valid JSON: it is not UTF-8 text.")
            ) from None
        try:
            data: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MalformedBody(
                _(
                    "The request body is not valid JSON: %(problem)s at line %(line)d, column %(column)d."
                )
                % {"problem": exc.msg, "line": exc.lineno, "column": exc.colno}
            ) from None
        return data


# --- request validation -------------------------------------------------------


def _field_of(model: Any, loc: Sequence[int | str]) -> str | None:
    """The request field a pydantic error is about, as the client named it.

    Ninja validates each source (body, query, path) as one model whose fields
    are the view's parameters. A body location starts with the parameter's
    name, which means nothing to the client, so it is dropped; query and path
    locations map back through ninja's flattening. List positions are dropped
    ("services", not "services.0").
    """
    parts = tuple(loc[1:]) if model.__ninja_param_source__ == "body" else tuple(loc)
    reverse: dict[tuple[Any, ...], tuple[str, ...]] = model.__ninja_flatten_map_reverse__
    for end in range(len(parts), 0, -1):
        if parts[:end] in reverse:
            parts = reverse[parts[:end]] + parts[end:]
            break
    names = [str(part) for part in parts if isinstance(part, str)]
    return names[0] if names else None


_MESSAGES: dict[str, Callable[[], str]] = {
    "missing": lambda: _("The field %(field)s is required."),
    "string_type": lambda: _("The field %(field)s must be a string."),
    "int_type": lambda: _("The field %(field)s must be a whole number."),
    "int_parsing": lambda: _("The field %(field)s must be a whole number."),
    "int_from_float": lambda: _("The field %(field)s must be a whole number."),
    "bool_type": lambda: _("The field %(field)s must be true or false."),
    "bool_parsing": lambda: _("The field %(field)s must be true or false."),
    "list_type": lambda: _("The field %(field)s must be a list."),
    "dict_type": lambda: _("The field %(field)s must be a JSON object."),
    "model_type": lambda: _("The field %(field)s must be a JSON object."),
    "model_attributes_type": lambda: _("The field %(field)s must be a JSON object."),
    "extra_forbidden": lambda: _(
        "%(field)s is not a field you can send here; the API documentation at "
        "/api/v1/docs lists the fields."
    ),
}
_DATETIME_TYPES = frozenset(
    {"datetime_type", "datetime_parsing", "datetime_from_date_parsing", "datetime_object_invalid"}
)
_DATE_TYPES = frozenset(
    {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}
)


def describe_validation_error(error: ErrorDetails, field: str | None) -> str:
    """One pydantic error as a sentence in the active language."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if field is None:
        if kind == "missing":
            return _("Send a JSON object in the request body.")
        return _("The request body must be a JSON object.")
    values: dict[str, Any] = {"field": field}
    if kind in _MESSAGES:
        return _MESSAGES[kind]() % values
    if kind in _DATETIME_TYPES:
        return (
            _(
                "The field %(field)s must be a date and time in ISO 8601 with its time zone, "
                "e.g. 2026-11-26T03:12:00+00:00."
            )
            % values
        )
    if kind in _DATE_TYPES:
        return _("The field %(field)s must be a date, e.g. 2026-11-26.") % values
    if kind == "date_out_of_range":  # raised by ApiModel
        return out_of_range(str(ctx.get("value", "")), field)
    if kind in ("greater_than_equal", "greater_than"):
        limit = ctx.get("ge", ctx.get("gt"))
        return _("The field %(field)s must be at least %(limit)s.") % {**values, "limit": limit}
    if kind in ("less_than_equal", "less_than"):
        limit = ctx.get("le", ctx.get("lt"))
        return _("The field %(field)s must be at most %(limit)s.") % {**values, "limit": limit}
    if kind == "string_too_long":
        return _("The field %(field)s is too long; the limit is %(limit)s characters.") % {
            **values,
            "limit": ctx.get("max_length"),
        }
    # Anything rarer: pydantic's own wording (English) is still specific.
    return _("The field %(field)s is not valid: %(problem)s.") % {
        **values,
        "problem": error["msg"],
    }


def validation_errors(contexts: Iterable[ValidationErrorContext[Any]]) -> list[ErrorEntry]:
    """Ninja's pydantic errors as our error items, one per field."""
    items: list[ErrorEntry] = []
    seen: set[str | None] = set()
    for context in contexts:
        for error in context.pydantic_validation_error.errors(include_url=False):
            field = _field_of(context.model, error["loc"])
            if field is None and "field" in (error.get("ctx") or {}):
                # A check of the whole model (ApiModel's date range) names
                # the field itself.
                field = str(error["ctx"]["field"])
            if field in seen:  # a union reports once per member; once is enough
                continue
            seen.add(field)
            items.append({"field": field, "message": describe_validation_error(error, field)})
    return items


# --- exception handlers -------------------------------------------------------


class CredentialsRefused(AuthenticationError):
    """Credentials were sent but are not valid; the message says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=401, message=message)


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        items: list[ErrorEntry] = [{"field": exc.field, "message": exc.message}]
        items += [
            {"field": exc.problem_field(index), "message": problem}
            for index, problem in enumerate(exc.problems)
        ]
        return respond(request, exc.status_code, error_body(exc.message, exc.field, items))

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        items: list[ErrorEntry] = exc.errors  # built by HotwashAPI, already our shape
        first = items[0] if items else {"field": None, "message": _("The request is not valid.")}
        return respond(request, 422, error_body(str(first["message"]), first["field"], items))

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, MalformedBody):
            message = str(exc.__cause__)
        elif exc.status_code == 400:
            message = _("The request body could not be read; send a JSON object.")
        else:
            message = exc.message
        return respond(request, exc.status_code, error_body(message))

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = str(exc) if isinstance(exc, CredentialsRefused) else ""
        response = respond(
            request,
            401,
            error_body(
                message
                or _(
                    "Sign in first, or send your API token in the header "
                    "Authorization: Bearer <token> (create one with: hotwash createtoken USERNAME)."
                )
            ),
        )
        response["WWW-Authenticate"] = 'Bearer realm="hotwash"'
        return response

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body(not_found_message()))

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request failed: %s %s", request.method, request.path)
        # Let Django's own reporting (and the test client) see the failure.
        got_request_exception.send(sender=None, request=request)
        return respond(
            request,
            500,
            error_body(
                _(
                    "Something went wrong on the server. Check whether your change was made, "
                    "then try again; if it keeps happening, tell your Hotwash administrator."
                )
            ),
        )


# --- routes and methods outside ninja's operations ------------------------------


def not_found_message() -> str:
    return _("There is no such API endpoint. The API documentation is at %(docs)s.") % {
        "docs": DOCS_HINT_PATH
    }


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Unknown paths under /api/v1/ answer in JSON like everything else."""
    return error_json(404, not_found_message())


not_found_view.csrf_exempt = True  # type: ignore[attr-defined]


def json_method_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an operation's view so that a method it does not serve gets a JSON
    405 (ninja answers those in plain text)."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            replacement = error_json(
                405,
                _("This endpoint does not accept %(method)s; use %(allowed)s.")
                % {"method": request.method, "allowed": allowed},
            )
            replacement["Allow"] = allowed
            return replacement
        return response

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]
    wrapper.__name__ = getattr(view, "__name__", "api_view")
    wrapper.__doc__ = view.__doc__
    return wrapper

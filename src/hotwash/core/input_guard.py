"""Refuse, before any view runs, a request carrying text Hotwash cannot store.

Every piece of text a request brings (its path, its query parameters, its
form fields, the strings of a JSON body) must pass the text rule of
`hotwash.core.validators`. Checking here, once, covers every page, form,
search box and API operation, including the many views that read a query
or form value directly: the web forms are deliberately lenient (they pass
what was sent to the service functions, which decide), so a check inside a
form would be bypassed. API clients get the API's JSON error shape (422,
naming the field); people get a page that says what to fix (400).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hotwash.core.api.errors import error_json
from hotwash.core.validators import printable, text_problem, unstorable_texts

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class StorableTextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = next(problems(request), None)
        if found is None:
            return self.get_response(request)
        field, problem = found  # the problem names the field already
        if _is_api(request):
            return error_json(422, problem, printable(field) if field is not None else None)
        return render(request, "core/unstorable_text.html", {"problem": problem}, status=400)


def problems(request: HttpRequest) -> Iterator[tuple[str | None, str]]:
    """(field, problem) for each text of `request` that cannot be stored;
    lazily, so the first one costs only what it takes to find it."""
    path_problem = text_problem(request.path_info)
    if path_problem is not None:
        yield None, path_problem
    yield from _parameters(request.GET.lists())
    if request.method in ("POST", "PUT", "PATCH"):
        content_type = request.content_type or ""
        if content_type in FORM_TYPES and not _is_api(request):
            # Only pages read form fields: parsing a form would consume a
            # body the API reads itself (and answers for, as JSON).
            yield from _parameters(request.POST.lists())
        elif content_type == "application/json" or content_type.endswith("+json"):
            document = _json(request)
            if document is not None:
                yield from unstorable_texts(document)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _parameters(pairs: Iterable[tuple[str, list[str]]]) -> Iterator[tuple[str | None, str]]:
    for name, values in pairs:
        for text in (name, *values):
            problem = text_problem(text, name)
            if problem is not None:
                yield name, problem


def _json(request: HttpRequest) -> Any:
    """The JSON body, or None when it is not JSON: then the view says what
    is wrong with it, as it does for any malformed body."""
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None

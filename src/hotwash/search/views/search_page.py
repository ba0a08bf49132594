"""The search page (/<lang>/search/?q=): a form that works without
JavaScript, and the ranked results with their highlighted snippets."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from hotwash.core.errors import InvalidInput
from hotwash.search import queries
from hotwash.search.engine import CANDIDATES
from hotwash.search.forms import SearchForm
from hotwash.search.queries import Results, SearchParams

PER_PAGE = 20


@login_required
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    form.is_valid()
    query = request.GET.copy()
    query.setdefault("per_page", str(PER_PAGE))
    try:
        params = SearchParams.parse(query)
    except InvalidInput as error:
        form.attach(error)
        return _render(request, form, None, None, status=400)
    return _render(request, form, params, queries.search(request.user, params))


def _render(
    request: HttpRequest,
    form: SearchForm,
    params: SearchParams | None,
    results: Results | None,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {
        "nav": "search",
        "form": form,
        "query": params.text if params else "",
        "results": results,
        "page_number": params.page if params else 1,
        "first_number": (params.page - 1) * params.per_page + 1 if params else 1,
        "candidates": CANDIDATES,
        "next_url": _page_link(request.GET, params.page + 1)
        if params and results and results.has_next
        else "",
        "previous_url": _page_link(request.GET, params.page - 1)
        if params and params.page > 1
        else "",
    }
    return render(request, "search/search.html", context, status=status)


def _page_link(current: QueryDict, page: int) -> str:
    query = current.copy()
    query["page"] = str(page)
    return f"?{query.urlencode()}"

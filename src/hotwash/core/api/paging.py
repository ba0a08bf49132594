"""Lists in pages: the paging parameters, the page shape every list answers
with (`Page[T]`), and the function that cuts a query set into one page.

A list's page schema is a one-line subclass, which keeps the schema's name
in the OpenAPI document and says what the items are:

    class IncidentPage(Page[IncidentOut]):
        items_doc = "This page of incidents."
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from hotwash.core.api.schemas import ApiModel
from hotwash.core.errors import InvalidInput

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
# A deeper page is refused (422) rather than looked up: page * per_page
# must fit the databases' 64-bit OFFSET, and reading that deep means
# stepping over every row before it. Filters reach any item sooner.
MAX_PAGE = 100_000

# Lists count matches exactly up to this many; beyond, "count_exact" is false.
COUNT_LIMIT = 10_000
COUNT_DOC = "How many items match, counted exactly up to 10,000."
COUNT_EXACT_DOC = "False when more than 10,000 match: `count` is then a lower bound."

# The paging parameters of every list: `page: PageNumber = 1` and
# `per_page: PerPage = DEFAULT_PER_PAGE`.
PageNumber = Annotated[
    int, Field(ge=1, le=MAX_PAGE, description="Page number, from 1 (at most 100,000).")
]
PerPage = Annotated[int, Field(ge=1, le=MAX_PER_PAGE, description="Items per page (at most 200).")]

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def _document_items(schema: JsonDict, model: type[Any]) -> None:
    """Describe `items` with the list's own words (what they are, in which order)."""
    properties = schema["properties"]
    assert isinstance(properties, dict)
    items = properties["items"]
    assert isinstance(items, dict)
    items["description"] = model.items_doc


class Page(ApiModel, Generic[T]):
    """One page of a list, in the shape every list shares."""

    items_doc: ClassVar[str] = "This page of items."
    model_config = ConfigDict(json_schema_extra=_document_items)

    items: list[T] = Field(description=items_doc)
    count: int = Field(description=COUNT_DOC)
    count_exact: bool = Field(description=COUNT_EXACT_DOC)
    page: int = Field(description="This page's number.")
    per_page: int = Field(description="Items per page.")
    next: str | None = Field(description="URL of the next page, or null on the last one.")
    previous: str | None = Field(description="URL of the previous page, or null on the first one.")


def present_page(
    queryset: QuerySet[M],
    request: HttpRequest,
    *,
    page: int,
    per_page: int,
    render: Callable[[list[M]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One page of `queryset` in the `Page` shape; `render` turns the page's
    rows into JSON-ready dicts. Lists declare `page` with `PageNumber`,
    which documents and checks the bound; checked here again for any list
    that does not."""
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(
            _("The field %(field)s must be at most %(limit)s.")
            % {"field": "page", "limit": MAX_PAGE},
            field="page",
        )
    start = (page - 1) * per_page
    # One row more than the page tells whether there is a next page.
    rows = list(queryset[start : start + per_page + 1])
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    if not has_next and (rows or page == 1):
        count, exact = start + len(rows), True  # the last page: nothing to count
    else:
        # Rows on this page prove at least that many; an empty page past
        # the end proves nothing.
        count, exact = _count(queryset, at_least=start + len(rows) if rows else 0)
    return {
        "items": render(rows),
        "count": count,
        "count_exact": exact,
        "page": page,
        "per_page": per_page,
        "next": page_url(request, page + 1) if has_next else None,
        "previous": page_url(request, page - 1) if page > 1 else None,
    }


def page_url(request: HttpRequest, page: int) -> str:
    """The address of another page of the list `request` asked for."""
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _count(queryset: QuerySet[Any], *, at_least: int) -> tuple[int, bool]:
    """How many rows match, counted up to COUNT_LIMIT. An exact count reads
    every matching row, so at 100,000 incidents it would cost more than the
    page itself; a bounded count costs the same at any size."""
    counted = queryset.order_by()[: COUNT_LIMIT + 1].count()
    if counted > COUNT_LIMIT:
        return max(COUNT_LIMIT, at_least), False
    return counted, True

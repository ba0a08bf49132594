"""`{% pagination page %}`: the numbered page links every list shows under
its table, from a Django `Page`."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.paginator import Page

register = template.Library()

# The current page with two on each side, and the first and last.
ON_EACH_SIDE = 2
ON_ENDS = 1


# The inclusion renders in a copy of the page's RequestContext, which
# {% querystring %} reads to keep the list's filters in every link.
@register.inclusion_tag("core/pagination.html")
def pagination(page: Page[Any]) -> dict[str, Any]:
    page_range = page.paginator.get_elided_page_range(
        page.number, on_each_side=ON_EACH_SIDE, on_ends=ON_ENDS
    )
    return {"page": page, "page_range": page_range}

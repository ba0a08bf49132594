"""`{% similar_incidents incident %}`: the "Has this happened before?"
panel on the incident page and in the postmortem editor."""

from __future__ import annotations

from typing import Any

from django import template

from hotwash.search.similar import similar_incidents as find_similar

register = template.Library()


@register.inclusion_tag("search/_similar.html", takes_context=True)
def similar_incidents(context: dict[str, Any], incident: Any) -> dict[str, Any]:
    """The incidents like `incident` that the page's reader may see (the
    page has already checked that they may see `incident` itself). Open
    while the incident is, when the answer helps most."""
    request = context.get("request")
    user = getattr(request, "user", None)
    items = find_similar(user, incident) if incident is not None and user is not None else []
    return {"items": items, "incident": incident, "open": bool(incident and incident.is_open)}

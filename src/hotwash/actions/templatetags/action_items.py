"""Template helpers for action items, including the block the incident and
postmortem pages embed:

    {% load action_items %}
    {% action_items_for incident=incident layout="cards" %}  (on the incident page)
    {% action_items_for postmortem=postmortem %}  (on the postmortem page)

`layout="cards"` shows one stacked card per item instead of a table row, for
a narrow column: every fact stays visible without scrolling sideways.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.actions.display import field_label, format_value
from hotwash.actions.queries import items_for
from hotwash.core.models import AuditRecord

register = template.Library()


@register.inclusion_tag("actions/_items_for.html", takes_context=True)
def action_items_for(
    context: template.Context,
    incident: Any = None,
    postmortem: Any = None,
    heading_level: int = 2,
    layout: str = "table",
) -> dict[str, Any]:
    """The items of an incident (including those of its postmortem) or of a
    postmortem, with a link to add one, as a table or as cards. One query."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    items = items_for(user, incident=incident, postmortem=postmortem) if user else []
    query = {"postmortem": postmortem.pk} if postmortem is not None else {}
    if incident is not None and postmortem is None:
        query = {"incident": incident.ref}
    return {
        "action_items": items,
        "today": timezone.localdate(),
        "can_add": user is not None and can_respond(user) and bool(query),
        "add_url": f"{reverse('actions:create')}?{urlencode(query)}",
        "list_url": f"{reverse('actions:list')}?{urlencode(query)}",
        "heading_level": heading_level,
        "cards": layout == "cards",
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def is_overdue(item: Any, today: Any) -> bool:
    return bool(item.is_overdue(today))


@register.filter
def describe_record(record: AuditRecord) -> str:
    """An audit record of an action item as a sentence in the reader's
    language."""
    changes = record.changes or {}
    if record.action == "action_item.created":
        return _("Created.")
    sentences = []
    for field, change in changes.items():
        if not isinstance(change, dict):
            continue
        if field == "description":
            sentences.append(_("Description updated."))
            continue
        sentences.append(
            _("%(field)s changed from %(old)s to %(new)s.")
            % {
                "field": field_label(field),
                "old": format_value(field, change.get("from")),
                "new": format_value(field, change.get("to")),
            }
        )
    return " ".join(sentences) or record.action

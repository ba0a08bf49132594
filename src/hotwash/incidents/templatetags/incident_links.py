"""The incident page's links panel, its merge pointer and the "moved from"
mark on moved timeline entries. Each checks what the reader may see: a
link to, or a merge with, a private incident they are not part of is not
shown at all."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from hotwash.incidents import linking
from hotwash.incidents.link_forms import LinkForm, MergeForm
from hotwash.incidents.models import REF_PREFIX, Incident, TimelineEvent
from hotwash.incidents.queries import can_view, visible_incident_ids

register = template.Library()

# Stands for the other incident's link inside a translated phrase, so the
# phrase is escaped whole and the link put in afterwards.
_MARK = "\x00"


def _incident_link(incident: Incident) -> SafeString:
    url = reverse("incidents:detail", args=[incident.ref])
    return format_html('<a href="{}">{}</a>', url, incident.ref)


def _phrase(text: str, incident: Incident) -> SafeString:
    return mark_safe(escape(text).replace(_MARK, _incident_link(incident)))


@register.inclusion_tag("incidents/_links.html", takes_context=True)
def incident_links(context: template.Context) -> dict[str, Any]:
    incident: Incident = context["incident"]
    request = context["request"]
    rows = []
    for link in linking.links_of(incident, request.user):
        other = link.other  # type: ignore[attr-defined]
        text = linking.link_phrase(link.kind, link.direction, _MARK)  # type: ignore[attr-defined]
        rows.append({"link": link, "other": other, "phrase": _phrase(text, other)})
    return {
        "incident": incident,
        "rows": rows,
        "duplicates": linking.merged_duplicates(incident, request.user),
        "can_respond": context.get("can_respond"),
        "link_form": context.get("link_form") or LinkForm(),
        "merge_form": MergeForm(),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.inclusion_tag("incidents/_merge.html", takes_context=True)
def merge_notice(context: template.Context) -> dict[str, Any]:
    """The pointer on a merged duplicate's page."""
    incident: Incident = context["incident"]
    survivor = None
    if incident.merged_into_id is not None:
        found = Incident.objects.filter(pk=incident.merged_into_id).first()
        if found is not None and can_view(context["request"].user, found):
            survivor = found
    return {
        "merged": incident.merged_into_id is not None,
        "survivor_link": _incident_link(survivor) if survivor is not None else "",
    }


@register.simple_tag(takes_context=True)
def moved_from(context: template.Context, event: TimelineEvent) -> str:
    """ "Moved from INC-42." under an entry a merge moved here, naming the
    duplicate only to a reader who may see it."""
    pk = (event.data or {}).get("moved_from")
    if not pk:
        return ""
    # One visibility check per duplicate and page, however many entries moved.
    store: Any = context.render_context
    cache: dict[int, bool] = store.setdefault("moved_from_visible", {})
    if pk not in cache:
        cache[pk] = bool(visible_incident_ids(context["request"].user, [pk]))
    if not cache[pk]:
        return _("Moved here from a merged incident.")
    ref = f"{REF_PREFIX}{pk}"
    link = format_html('<a href="{}">{}</a>', reverse("incidents:detail", args=[ref]), ref)
    text = escape(_("Moved here from %(ref)s.") % {"ref": _MARK})
    return mark_safe(text.replace(_MARK, link))

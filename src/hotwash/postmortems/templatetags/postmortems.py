"""Template tags for postmortems, used on the incident page as well.

The incident page includes `postmortems/_incident_panel.html`, which asks
`postmortem_panel` for what it shows, so the incidents app needs to know
nothing about postmortems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone

from hotwash.accounts.permissions import can_respond
from hotwash.incidents.models import Incident
from hotwash.postmortems import services
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.queries import is_marked_public

register = template.Library()


@dataclass(frozen=True)
class Panel:
    postmortem: Postmortem | None
    overdue: bool
    can_start: bool
    start_url: str
    # language code -> (written, to write)
    completeness: dict[str, tuple[int, int]]


@register.simple_tag(takes_context=True)
def postmortem_panel(context: template.Context, incident: Incident) -> Panel:
    """The incident's postmortem as the viewer may see it, or whether they
    may start one."""
    request = context.get("request")
    user: Any = getattr(request, "user", None)
    postmortem = Postmortem.objects.select_related("owner").filter(incident=incident).first()
    start_url = f"{reverse('postmortems:new')}?incident={incident.ref}"
    if postmortem is None:
        return Panel(None, False, bool(user and can_respond(user)), start_url, {})
    return Panel(
        postmortem=postmortem,
        overdue=postmortem.is_overdue(timezone.localdate()),
        can_start=False,
        start_url=start_url,
        completeness=services.completeness(postmortem),
    )


@register.filter
def written_of(counts: tuple[int, int] | None) -> str:
    """ "3/9": sections written out of those to write."""
    written, total = counts or (0, 0)
    return f"{written}/{total}"


@dataclass(frozen=True)
class TocEntry:
    item: Any
    children: list[Any]


@register.filter
def table_of_contents(items: list[Any]) -> list[TocEntry]:
    """Level-2 sections, each with the level-3 sections under it, so that a
    nested list numbers only the level-2 ones (1, 2, 3...): in one flat
    list the subsections counted too, and the numbers skipped."""
    entries: list[TocEntry] = []
    for item in items:
        if item.section.level == 3 and entries:
            entries[-1].children.append(item)
        else:
            entries.append(TocEntry(item, []))
    return entries


@register.filter
def marked_public(postmortem: Postmortem) -> bool:
    """Whether the postmortem is shared once published, as the one sharing
    rule says (never while its incident is private)."""
    return is_marked_public(postmortem)

"""How link and merge entries read on a timeline, in the reader's language.

A timeline entry is rendered without knowing who reads it (the API, the
page, exports), so an entry names the other incident only while that one
is public: a private incident's reference reaches only its own readers,
through the links panel and the merge pointer, which check visibility.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from hotwash.incidents.linking import OUTGOING
from hotwash.incidents.models import REF_PREFIX, Incident, LinkKind, TimelineEvent


def other_incident(data: dict[str, Any], key: str = "other") -> str:
    """The other incident as an entry may name it: its reference while it
    is public, "a private incident" otherwise."""
    pk = data.get(key)
    if isinstance(pk, int) and Incident.objects.filter(pk=pk, private=False).exists():
        return f"{REF_PREFIX}{pk}"
    return _("a private incident")


def describe_link(event: TimelineEvent) -> str:
    data = event.data or {}
    values = {"ref": other_incident(data)}
    caused_by = data.get("kind") == LinkKind.CAUSED_BY
    outgoing = data.get("direction") == OUTGOING
    if data.get("action") == "unlinked":
        if caused_by and outgoing:
            return _("Link removed: no longer marked as caused by %(ref)s.") % values
        if caused_by:
            return _("Link removed: no longer marked as the cause of %(ref)s.") % values
        return _("Link removed: no longer related to %(ref)s.") % values
    if caused_by and outgoing:
        return _("Linked: caused by %(ref)s.") % values
    if caused_by:
        return _("Linked: caused %(ref)s.") % values
    return _("Linked: related to %(ref)s.") % values


def describe_merge(event: TimelineEvent) -> str:
    data = event.data or {}
    values = {"ref": other_incident(data)}
    if data.get("action") == "merged_into":
        return (
            _(
                "Merged into %(ref)s as a duplicate and closed: its timeline, tasks, "
                "participants, links, alerts and action items moved there."
            )
            % values
        )
    return (
        _(
            "%(ref)s was merged into this incident as a duplicate: its timeline, tasks, "
            "participants, links, alerts and action items moved here."
        )
        % values
    )

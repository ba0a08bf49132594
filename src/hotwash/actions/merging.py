"""Action items follow their incident when it is merged into another."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotwash.actions.models import ActionItem
from hotwash.core.audit import record_audit
from hotwash.incidents.models import Incident


def on_incident_merged(
    sender: Any,
    *,
    duplicate: Incident,
    survivor: Incident,
    actor: Any,
    now: datetime,
    **kwargs: Any,
) -> None:
    """Connected to incidents.incident_merged (hotwash.wiring.reactions): in
    the merge's transaction, the duplicate's action items move to the
    survivor, each with its audit record; their timeline entries already
    moved with the timeline. Items of the duplicate's own postmortem stay
    with it: a postmortem belongs to one incident, and the duplicate's
    (if it has one) stays with the duplicate."""
    items = list(
        ActionItem.objects.filter(incident=duplicate)
        .exclude(postmortem__incident=duplicate)
        .order_by("pk")
    )
    ActionItem.objects.filter(pk__in=[item.pk for item in items]).update(
        incident=survivor, updated_at=now
    )
    for item in items:
        record_audit(
            actor=actor,
            action="action_item.moved",
            obj=item,
            changes={"incident": {"from": duplicate.ref, "to": survivor.ref}},
            now=now,
        )

"""Follows of an incident carry over when it is merged into another."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotwash.incidents.models import Incident
from hotwash.incidents.queries import visible_incidents
from hotwash.notifications.models import Follow


def on_incident_merged(
    sender: Any, *, duplicate: Incident, survivor: Incident, now: datetime, **kwargs: Any
) -> None:
    """Connected to incidents.incident_merged (hotwash.wiring.reactions): in
    the merge's transaction, whoever followed the duplicate follows the
    survivor too, if they may see it and do not already (the follow is the
    record, as when someone follows by hand). The duplicate's follows stay."""
    already = set(Follow.objects.filter(incident=survivor).values_list("user_id", flat=True))
    new = []
    for follow in Follow.objects.filter(incident=duplicate).select_related("user"):
        if follow.user_id in already:
            continue
        if not visible_incidents(follow.user).filter(pk=survivor.pk).exists():
            continue
        new.append(Follow(user_id=follow.user_id, incident=survivor, created_at=now))
    Follow.objects.bulk_create(new, ignore_conflicts=True)

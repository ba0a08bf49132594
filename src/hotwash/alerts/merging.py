"""Alert groups follow their incident when it is merged into another.

A firing group finds its incident through `group.incident`
(hotwash.triggers.alerting), so moving the groups is what makes an alert
that fires again after a merge land on the survivor, not on the closed
duplicate. Alerts belong to their group and move with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotwash.alerts.models import AlertGroup
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
    the merge's transaction, the duplicate's groups move to the survivor,
    each with its audit record."""
    groups = list(AlertGroup.objects.filter(incident=duplicate).order_by("pk"))
    AlertGroup.objects.filter(pk__in=[group.pk for group in groups]).update(incident=survivor)
    for group in groups:
        record_audit(
            actor=actor,
            action="alert_group.moved",
            obj=group,
            changes={"incident": {"from": duplicate.ref, "to": survivor.ref}},
            now=now,
        )


def follow_merge(group: AlertGroup, incident: Incident) -> Incident:
    """The incident a group's alerts belong on: `incident`, or the one it
    was merged into (the group then points there for good). The merge moves
    groups itself; this catches a group whose notification was being
    processed while the merge ran. No query unless the incident was merged."""
    if incident.merged_into_id is None:
        return incident
    survivor = Incident.objects.get(pk=incident.merged_into_id)
    group.incident = survivor
    group.save(update_fields=["incident"])
    return survivor

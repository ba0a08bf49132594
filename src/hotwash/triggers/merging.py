"""Heartbeats and change events follow their incident when it is merged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotwash.core.audit import record_audit
from hotwash.incidents.models import Incident
from hotwash.triggers.models import ChangeEvent, Heartbeat


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
    the merge's transaction, a heartbeat whose outage the duplicate was
    moves to the survivor (so its recovery resolves the incident people
    still work on), and so do the changes recorded as part of it. Policy
    firings and proposals stay: they record what happened to the duplicate."""
    changes = {"incident": {"from": duplicate.ref, "to": survivor.ref}}
    for model in (Heartbeat, ChangeEvent):
        rows = list(model.objects.filter(incident=duplicate).order_by("pk"))
        model.objects.filter(pk__in=[row.pk for row in rows]).update(incident=survivor)
        for row in rows:
            action = f"{model._meta.model_name}.moved"
            record_audit(actor=actor, action=action, obj=row, changes=changes, now=now)

"""`{% load alert_links %}{% incident_alert_groups incident %}`: the incident
page's links to the alert groups that opened or joined it, as one more fact
of its header (nothing when no alert did)."""

from __future__ import annotations

from typing import Any

from django import template

from hotwash.alerts.models import AlertGroup
from hotwash.incidents.models import Incident

register = template.Library()

# Enough for any real incident; more are one click away on the groups page.
GROUPS_SHOWN = 20


@register.inclusion_tag("alerts/_incident_groups.html")
def incident_alert_groups(incident: Incident) -> dict[str, Any]:
    """Whoever sees the incident may see its groups (alerts.queries hides a
    group exactly when its incident is hidden), so no further check."""
    groups = AlertGroup.objects.filter(incident=incident).order_by("first_fired_at", "id")
    return {"groups": list(groups[:GROUPS_SHOWN])}

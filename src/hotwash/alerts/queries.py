"""Read-side functions for alert groups: who may see which.

Alerts come from machines and any signed-in person may read them, except
those of a group that opened or joined a private incident: their labels and
annotations say what the incident is about (a data-loss alert names the
database), so such a group is hidden exactly like its incident, by the same
rule (`incidents.queries.visible_incidents`), on pages and in the API.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from hotwash.accounts.permissions import AnyUser, is_admin
from hotwash.alerts.models import AlertGroup
from hotwash.incidents.queries import with_visible_incident


def visible_groups(user: AnyUser) -> QuerySet[AlertGroup]:
    """Alert groups `user` may see: those without an incident, and those
    whose incident they may see."""
    groups = AlertGroup.objects.all()
    if user.is_authenticated and is_admin(user):
        return groups  # admins see every incident: no subquery needed
    return groups.filter(Q(incident__isnull=True) | with_visible_incident(user))

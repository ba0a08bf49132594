"""The demo's status page: one public update, so `make run` shows an
incident there (docs/communications.md#the-status-page).

Only when the demo has an open, non-private incident affecting a public
service (the service catalog decides which services are public): the most
severe such incident, then the newest, gets the update its communications
lead would have written about ten minutes after it was declared.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User

from hotwash.incidents.models import Incident
from hotwash.statuspage.models import Audience, PublicStatus, StakeholderUpdate
from hotwash.statuspage.signals import update_published

AFTER_DECLARATION = timedelta(minutes=10)


def publish_status_update(
    incidents: list[Incident], users: dict[str, User], present: datetime
) -> StakeholderUpdate | None:
    """Call inside the demo's transaction (the page renders after it commits)."""
    candidates = [
        incident
        for incident in incidents
        if incident.is_open and not incident.private and incident.services.filter(public=True)
    ]
    if not candidates:
        return None
    incident = min(candidates, key=lambda i: (i.severity, -i.declared_at.timestamp()))
    names = ", ".join(
        service.public_name or service.name for service in incident.services.filter(public=True)
    )
    at = min(incident.declared_at + AFTER_DECLARATION, present)
    update = StakeholderUpdate.objects.create(
        incident=incident,
        audience=Audience.PUBLIC,
        status=PublicStatus.INVESTIGATING,
        text_en=(
            f"Some customers cannot use {names}. We are investigating and will post "
            "another update within 30 minutes."
        ),
        text_fr=(
            f"Certains clients ne peuvent pas utiliser {names}. Nous enquêtons et publierons "
            "une nouvelle mise à jour d'ici 30 minutes."
        ),
        author=users.get("lea"),
        published_at=at,
    )
    update_published.send(StakeholderUpdate, update=update, incident=incident, now=at)
    return update

"""The other monitoring failure: an incident a person found, that no alert saw.

When a person declares an incident, the detection-gap policy proposes the
action item "Add detection for ..." (or only notifies), unless alerts did
see it. It counts as seen when:

- Hotwash opened it itself (a trigger policy, or a person accepting a
  trigger's proposal), or its detection source is "alert"; or
- an alert is firing, or resolved within the last hour, whose service label
  (any label a downtime or data-loss policy reads services from; `service`
  by default) names one of the incident's services. The person may have been
  quicker than the pager, but the monitoring did notice.

An incident declared with no service at all cannot be matched with alerts,
so it gets the proposal: better one proposal too many than a blind spot.

Detection answered "alert" later (the quick question, Edit details, the
API) says the monitoring did see it: the open proposal is withdrawn
(`on_detection_recorded`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from hotwash.alerts.models import Alert, AlertStatus
from hotwash.incidents.models import DetectionSource, Incident
from hotwash.triggers import engine
from hotwash.triggers.labels import label_value
from hotwash.triggers.models import (
    Action,
    ProposalKind,
    Trigger,
    add_detection_description,
    add_detection_title,
)
from hotwash.triggers.policy import DetectionGapPolicy, load_trigger_policies
from hotwash.triggers.proposals import withdraw_detection_proposals

RECENTLY_RESOLVED = timedelta(hours=1)


def seen_by_alerts(incident: Incident, now: datetime) -> bool:
    names = list(incident.services.values_list("name", flat=True))
    if not names:
        return False
    labels: list[str] = []
    for policy in load_trigger_policies().alert_policies:
        labels.extend(name for name in policy.service_labels if name not in labels)
    labels = labels or ["service"]
    alerts = Alert.objects.filter(
        Q(status=AlertStatus.FIRING) | Q(ends_at__gte=now - RECENTLY_RESOLVED)
    )
    matches = Q()
    for position, label in enumerate(labels):
        alias = f"label_{position}"
        alerts = alerts.alias(**{alias: label_value(label)})
        matches |= Q(**{f"{alias}__in": names})
    return alerts.filter(matches).exists()


def on_incident_declared(
    sender: Any,
    *,
    incident: Incident,
    actor: Any,
    now: datetime | None = None,
    **kwargs: Any,
) -> None:
    """Connected to hotwash.incidents.signals.incident_declared (inside the
    declaration's transaction); `now` is the declaration's time."""
    if not isinstance(actor, User) or engine.is_declaring_by_trigger():
        return
    if incident.detection_source == DetectionSource.ALERT:
        return
    policy = load_trigger_policies().first(Trigger.DETECTION_GAP)
    if not isinstance(policy, DetectionGapPolicy):
        return
    now = timezone.now() if now is None else now
    if seen_by_alerts(incident, now):
        return
    firing = engine.claim(
        policy,
        key=f"incident:{incident.pk}",
        action=Action.PROPOSED,
        now=now,
        incident=incident,
        details={"declared_by": actor.get_username(), "source": incident.detection_source},
    )
    if firing is None:
        return
    # Not on the timeline: a declaration is a busy moment, and the question
    # waits on the incident page (the proposal, and the answer, which is
    # written on the timeline with who gave it).
    if policy.mode == "notify":
        engine.notify_only(firing, now=now, on_timeline=False)
        return
    # Stored in the site's language; pages word it in the reader's from the
    # incident's title and reference (Proposal.display_title).
    with engine.site_language():
        title = add_detection_title(incident.title)
        description = add_detection_description(incident.ref)
    proposal = engine.propose(
        firing,
        kind=ProposalKind.ADD_DETECTION,
        title=title,
        details={
            "subject": incident.title,
            "ref": incident.ref,
            "description": description,
            "kind": "detect",
            "due_in_days": policy.action_due_in.days if policy.action_due_in else None,
        },
        incident=incident,
        now=now,
    )
    engine.finish(firing, now=now, proposal=proposal, on_timeline=False)


def on_detection_recorded(
    sender: Any,
    *,
    incident: Incident,
    changes: dict[str, Any],
    now: datetime | None = None,
    **kwargs: Any,
) -> None:
    """Connected to hotwash.incidents.signals.incident_updated (inside the
    change's transaction): detection now "alert" withdraws the incident's
    open "Add detection" proposal."""
    detection = changes.get("detection_source")
    if not detection or detection.get("to") != DetectionSource.ALERT:
        return
    withdraw_detection_proposals(incident, now=timezone.now() if now is None else now)

"""Facts a postmortem reads from its incident each time it is shown.

Nothing here is copied into the postmortem's text: a correction to the
incident (a back-dated time, an edited timeline entry) shows up in the
postmortem at once, in the page, the API and the Markdown export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from hotwash.incidents.models import Incident, RoleAssignment, TimelineEvent

# Each duration: (key, label, start fields in order of preference, end field).
# Everything is measured from when the impact started, or from detection
# when nobody knows when it started; acknowledgement is measured from
# detection because that is what on-call controls.
DURATIONS: tuple[tuple[str, Any, tuple[str, ...], str], ...] = (
    ("time_to_detect", _("Time to detect"), ("impact_started_at",), "detected_at"),
    ("time_to_acknowledge", _("Time to acknowledge"), ("detected_at",), "acknowledged_at"),
    (
        "time_to_mitigate",
        _("Time to mitigate"),
        ("impact_started_at", "detected_at"),
        "mitigated_at",
    ),
    (
        "time_to_resolve",
        _("Time to resolve"),
        ("impact_started_at", "detected_at"),
        "resolved_at",
    ),
)


@dataclass(frozen=True)
class Duration:
    key: str
    label: str
    value: timedelta | None  # None when a time it needs is missing

    @property
    def seconds(self) -> int | None:
        return None if self.value is None else int(self.value.total_seconds())


def durations(incident: Incident) -> list[Duration]:
    """Time to detect, acknowledge, mitigate and resolve, and the total
    impact (from impact start until it was mitigated, else resolved)."""
    found: list[Duration] = []
    for key, label, starts, end_field in DURATIONS:
        start = next((getattr(incident, name) for name in starts if getattr(incident, name)), None)
        end = getattr(incident, end_field)
        value = max(end - start, timedelta(0)) if start and end else None
        found.append(Duration(key=key, label=str(label), value=value))
    impact_start = incident.impact_started_at or incident.detected_at
    impact_end = incident.mitigated_at or incident.resolved_at
    total = max(impact_end - impact_start, timedelta(0)) if impact_start and impact_end else None
    found.append(Duration(key="total_impact", label=str(_("Total impact")), value=total))
    return found


@dataclass
class IncidentFacts:
    incident: Incident
    services: list[str]
    commander: User | None
    responders: list[User]
    durations: list[Duration]
    key_moments: list[TimelineEvent] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)

    @property
    def times(self) -> list[tuple[str, datetime | None]]:
        fields = ("impact_started_at", "detected_at", "declared_at", "mitigated_at", "resolved_at")
        return [
            (
                str(getattr(Incident._meta.get_field(name), "verbose_name", name)),
                getattr(self.incident, name),
            )
            for name in fields
        ]


def incident_facts(incident: Incident, *, full_timeline: bool = False) -> IncidentFacts:
    """The header facts, the key moments (and the full timeline on demand)
    and the durations, in a fixed number of queries."""
    commander = (
        RoleAssignment.objects.filter(incident=incident, role="commander", ended_at__isnull=True)
        .select_related("user")
        .first()
    )
    responders = list(incident.participants.order_by("username"))
    events = TimelineEvent.objects.filter(incident=incident).select_related("author")
    key_moments = list(events.filter(key_moment=True).order_by("occurred_at", "id"))
    timeline = list(events.order_by("occurred_at", "id")) if full_timeline else []
    return IncidentFacts(
        incident=incident,
        services=sorted(incident.services.values_list("name", flat=True)),
        commander=commander.user if commander else None,
        responders=responders,
        durations=durations(incident),
        key_moments=key_moments,
        timeline=timeline,
    )

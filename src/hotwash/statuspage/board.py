"""What the status page shows, decided once and rendered in each language.

The rule for each service's state (docs/communications.md#the-status-page):

- An incident *shows* on the public page when it is not private and has at
  least one public update. It is *current* while the incident is open and
  its latest public update is not "resolved"; otherwise it is history.
- A service is in **outage** while a current incident of severity SEV1 or
  SEV2 affects it, **degraded** while a current SEV3 or SEV4 incident
  affects it, **under maintenance** while a maintenance window that lists
  it (or lists no service: then it covers every service) is in progress,
  and **operational** otherwise. The worst state wins, in that order.

The internal board (staff only) is the same with internal updates counted as
well and every service listed, public or not. A private incident appears on
neither: its facts stay on its own page, for those who may see it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet

from hotwash.incidents.models import OPEN_STATUSES, Incident, Service
from hotwash.statuspage.models import (
    Audience,
    Maintenance,
    PublicStatus,
    ServiceState,
    StakeholderUpdate,
)

HISTORY_DAYS = 90
# Severities at or below this number put a service in outage; above, degraded.
OUTAGE_SEVERITY = 2
# Worst first: the state a service shows is the first that applies.
STATE_ORDER = (
    ServiceState.OUTAGE,
    ServiceState.DEGRADED,
    ServiceState.MAINTENANCE,
    ServiceState.OPERATIONAL,
)


@dataclass
class ServiceRow:
    service: Service
    state: ServiceState = ServiceState.OPERATIONAL

    @property
    def name(self) -> str:
        return self.service.public_name or self.service.name


@dataclass
class IncidentEntry:
    incident: Incident
    updates: list[StakeholderUpdate]  # newest first
    services: list[ServiceRow]
    current: bool

    @property
    def latest(self) -> StakeholderUpdate:
        return self.updates[0]

    @property
    def started_at(self) -> datetime:
        return self.updates[-1].published_at

    @property
    def anchor(self) -> str:
        # Stable across renders; not the incident's reference, which the
        # public page does not need.
        return f"incident-{self.incident.pk}"


@dataclass
class MaintenanceEntry:
    item: Maintenance
    services: list[ServiceRow]  # empty: every service
    in_progress: bool


@dataclass
class Board:
    now: datetime
    internal: bool
    services: list[ServiceRow]
    current: list[IncidentEntry]
    history: list[IncidentEntry]
    maintenance_now: list[MaintenanceEntry]
    maintenance_next: list[MaintenanceEntry]

    @property
    def overall(self) -> ServiceState:
        states = {row.state for row in self.services}
        return next((s for s in STATE_ORDER if s in states), ServiceState.OPERATIONAL)

    def feed_updates(self, service: Service | None = None) -> list[StakeholderUpdate]:
        """Public updates for a feed, newest first: every shown incident's,
        or only those of incidents affecting `service`."""
        entries = [*self.current, *self.history]
        if service is not None:
            entries = [e for e in entries if any(r.service.pk == service.pk for r in e.services)]
        updates = [u for e in entries for u in e.updates if u.audience == Audience.PUBLIC]
        return sorted(updates, key=lambda u: (u.published_at, u.pk), reverse=True)


def _audiences(internal: bool) -> list[str]:
    return [Audience.PUBLIC, Audience.INTERNAL] if internal else [Audience.PUBLIC]


def shown_incidents(now: datetime, *, internal: bool = False) -> QuerySet[Incident]:
    """Incidents that appear: never private; with at least one update of the
    board's audiences; still open, or updated within the history window."""
    audiences = _audiences(internal)
    since = now - timedelta(days=HISTORY_DAYS)
    with_updates = StakeholderUpdate.objects.filter(audience__in=audiences).filter(
        Q(incident__status__in=OPEN_STATUSES) | Q(published_at__gte=since)
    )
    updates = StakeholderUpdate.objects.filter(audience__in=audiences).order_by(
        "-published_at", "-id"
    )
    return (
        Incident.objects.filter(private=False, pk__in=with_updates.values("incident_id"))
        .prefetch_related(Prefetch("updates", queryset=updates), "services")
        .order_by("-declared_at", "-id")
    )


def build_board(now: datetime, *, internal: bool = False) -> Board:
    services_qs = Service.objects.order_by("name")
    if not internal:
        services_qs = services_qs.filter(public=True)
    rows = {service.pk: ServiceRow(service) for service in services_qs}
    ordered_rows = sorted(rows.values(), key=lambda r: r.name.casefold())

    current: list[IncidentEntry] = []
    history: list[IncidentEntry] = []
    worst: dict[int, ServiceState] = defaultdict(lambda: ServiceState.OPERATIONAL)
    since = now - timedelta(days=HISTORY_DAYS)
    for incident in shown_incidents(now, internal=internal):
        updates = [u for u in incident.updates.all() if u.published_at <= now]
        if not updates:
            continue
        affected = [rows[s.pk] for s in incident.services.all() if s.pk in rows]
        affected.sort(key=lambda r: r.name.casefold())
        public_updates = [u for u in updates if u.audience == Audience.PUBLIC]
        said = public_updates[0] if public_updates else updates[0]
        is_current = incident.is_open and said.status != PublicStatus.RESOLVED
        entry = IncidentEntry(incident, updates, affected, is_current)
        if is_current:
            current.append(entry)
            state = (
                ServiceState.OUTAGE
                if incident.severity <= OUTAGE_SEVERITY
                else ServiceState.DEGRADED
            )
            for row in affected:
                worst[row.service.pk] = _worse(worst[row.service.pk], state)
        elif entry.latest.published_at >= since:
            history.append(entry)

    entries: list[MaintenanceEntry] = []
    for item in (
        Maintenance.objects.filter(ends_at__gt=now)
        .prefetch_related("services")
        .order_by("starts_at", "id")
    ):
        listed = item.services.all()
        shown = sorted(
            (rows[s.pk] for s in listed if s.pk in rows), key=lambda r: r.name.casefold()
        )
        if listed and not shown:
            continue  # only services this board does not show
        window = MaintenanceEntry(item, shown, item.starts_at <= now)
        entries.append(window)
        if window.in_progress:
            for row in shown or ordered_rows:
                worst[row.service.pk] = _worse(worst[row.service.pk], ServiceState.MAINTENANCE)
    for row in ordered_rows:
        row.state = worst[row.service.pk]

    current.sort(key=lambda e: (e.latest.published_at, e.incident.pk), reverse=True)
    history.sort(key=lambda e: (e.latest.published_at, e.incident.pk), reverse=True)
    return Board(
        now=now,
        internal=internal,
        services=ordered_rows,
        current=current,
        history=history,
        maintenance_now=[e for e in entries if e.in_progress],
        maintenance_next=[e for e in entries if not e.in_progress],
    )


def _worse(a: ServiceState, b: ServiceState) -> ServiceState:
    return a if STATE_ORDER.index(a) <= STATE_ORDER.index(b) else b

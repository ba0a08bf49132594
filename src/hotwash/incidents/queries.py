"""Read-side functions: who can see what, finding incidents, catch-up.

Every list, page, API call, CLI command and live stream goes through
`visible_incidents` or `can_view`, so a private incident is hidden in the
same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import AnyUser, admins_q, is_admin
from hotwash.core import refs
from hotwash.core.errors import InvalidInput, NotFound
from hotwash.core.validators import check_date
from hotwash.incidents.models import (
    OPEN_STATUSES,
    REF_PREFIX,
    Incident,
    IncidentRole,
    Participant,
    RoleAssignment,
    Status,
    Task,
    TaskStatus,
    TimelineEvent,
    severity_level,
)


def visible_incidents(user: AnyUser) -> QuerySet[Incident]:
    incidents = Incident.objects.all()
    if not user.is_authenticated:
        return incidents.none()
    if is_admin(user):
        return incidents
    mine = Participant.objects.filter(user_id=user.pk).values("incident_id")
    return incidents.filter(Q(private=False) | Q(pk__in=mine))


def can_view(user: AnyUser, incident: Incident) -> bool:
    if not user.is_authenticated:
        return False
    if not incident.private or is_admin(user):
        return True
    return Participant.objects.filter(incident=incident, user_id=user.pk).exists()


def private_readers_q(incident_id: int) -> Q:
    """can_view for a private incident, as a filter on users: its
    participants and the admins (for mail to many people at once)."""
    participants = Participant.objects.filter(incident_id=incident_id).values("user_id")
    return admins_q() | Q(pk__in=participants)


def visible_incident_ids(user: AnyUser, ids: Iterable[int | None]) -> set[int]:
    """Which of these incidents `user` may see: for pages and answers that
    mention incidents by reference (a private one is named only to those
    who may see it). One query at most."""
    wanted = {pk for pk in ids if pk}
    if not wanted:
        return set()
    return set(visible_incidents(user).filter(pk__in=wanted).values_list("pk", flat=True))


def parse_ref(ref: str | int) -> int:
    return refs.parse_ref(
        ref, REF_PREFIX, _("%(ref)s is not an incident reference; use INC-42 or 42.")
    )


def get_incident(user: AnyUser, ref: str | int) -> Incident:
    """The incident `ref` names, if `user` may see it. A private incident the
    user cannot see is reported exactly like one that does not exist."""
    number = parse_ref(ref)
    # A primary-key read, then the visibility check (no query at all for a
    # public incident): cheaper than filtering through visible_incidents.
    try:
        incident: Incident | None = Incident.objects.get(pk=number)
    except Incident.DoesNotExist:
        incident = None
    if incident is None or not can_view(user, incident):
        raise NotFound(_("No incident %(ref)s.") % {"ref": f"{REF_PREFIX}{number}"})
    return incident


# --- the incident list ------------------------------------------------------

SORTS = {
    "-declared": ("-declared_at", "-id"),
    "declared": ("declared_at", "id"),
    "severity": ("severity", "-declared_at", "-id"),
    "-updated": ("-updated_at", "-id"),
}
DEFAULT_SORT = "-declared"


@dataclass(frozen=True)
class IncidentFilters:
    statuses: tuple[str, ...] = ()
    severities: tuple[int, ...] = ()
    service: str = ""
    since: date | None = None
    until: date | None = None
    text: str = ""
    open_only: bool = False
    sort: str = DEFAULT_SORT

    @classmethod
    def parse(cls, params: Any) -> IncidentFilters:
        """Build filters from query parameters (a QueryDict or a dict of
        lists); an unknown value is an error naming the parameter."""

        def values(name: str) -> list[str]:
            if hasattr(params, "getlist"):
                raw = params.getlist(name)
            else:
                raw = params.get(name) or []
                raw = raw if isinstance(raw, list | tuple) else [raw]
            return [v for item in raw for v in str(item).split(",") if v.strip()]

        statuses = tuple(v.strip().lower() for v in values("status"))
        for status in statuses:
            if status not in Status.values and status != "open":
                raise InvalidInput(
                    _("Unknown status %(value)s.") % {"value": status}, field="status"
                )
        severities = []
        for raw in values("severity"):
            level = severity_level(raw)
            if level is None:
                raise InvalidInput(
                    _("Unknown severity %(value)s: use 1, 2, 3 or 4.") % {"value": raw},
                    field="severity",
                )
            severities.append(level)
        sort = (values("sort") or [DEFAULT_SORT])[0]
        if sort not in SORTS:
            raise InvalidInput(
                _("Unknown sort %(value)s: use one of %(choices)s.")
                % {"value": sort, "choices": ", ".join(SORTS)},
                field="sort",
            )
        return cls(
            statuses=tuple(s for s in statuses if s != "open"),
            open_only="open" in statuses,
            severities=tuple(severities),
            service=(values("service") or [""])[0].strip(),
            since=_parse_date(values("since"), "since"),
            until=_parse_date(values("until"), "until"),
            text=(values("q") or [""])[0].strip()[:200],
            sort=sort,
        )

    def apply(self, incidents: QuerySet[Incident]) -> QuerySet[Incident]:
        wanted = set(self.statuses) | (set(OPEN_STATUSES) if self.open_only else set())
        if wanted:
            # Spelled out as IN (...) rather than NOT IN (resolved, closed):
            # the positive form can use the status index.
            incidents = incidents.filter(status__in=sorted(wanted))
        if self.severities:
            incidents = incidents.filter(severity__in=self.severities)
        if self.service:
            incidents = incidents.filter(services__name__iexact=self.service)
        if self.since:
            incidents = incidents.filter(declared_at__gte=_start_of(self.since))
        if self.until:
            incidents = incidents.filter(declared_at__lt=_start_of(self.until + timedelta(days=1)))
        if self.text:
            incidents = incidents.filter(title__icontains=self.text)
        return incidents.order_by(*SORTS[self.sort])


def _parse_date(raw: list[str], name: str) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw[0].strip())
    except ValueError:
        raise InvalidInput(
            _("%(value)s is not a date; use YYYY-MM-DD.") % {"value": raw[0]}, field=name
        ) from None
    # "Until 9999-12-31" would need midnight of year 10000.
    check_date(day, name)
    return day


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the viewer's time zone."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def search_incidents(user: AnyUser, filters: IncidentFilters) -> QuerySet[Incident]:
    return filters.apply(visible_incidents(user)).prefetch_related("services")


# --- catch-up ---------------------------------------------------------------

LATEST_UPDATES = 5


@dataclass
class Catchup:
    """Everything someone joining now needs, in one structure."""

    incident: Incident
    now: datetime
    impact_since: datetime
    roles: dict[str, Any] = field(default_factory=dict)  # role -> user or None
    key_moments: list[TimelineEvent] = field(default_factory=list)
    latest: list[TimelineEvent] = field(default_factory=list)
    open_tasks: list[Task] = field(default_factory=list)

    @property
    def impact_duration(self) -> timedelta:
        end = self.incident.resolved_at or self.now
        return max(end - self.impact_since, timedelta(0))

    @property
    def status_duration(self) -> timedelta:
        """How long the incident has been in its current status."""
        changes = [e for e in self.latest + self.key_moments if e.kind == "status"]
        since = max((e.occurred_at for e in changes), default=self.incident.declared_at)
        return max(self.now - since, timedelta(0))


def build_catchup(incident: Incident) -> Catchup:
    """Where things stand, from the data: a fixed number of queries,
    whatever the size of the timeline."""
    now = timezone.now()
    holders = (
        RoleAssignment.objects.filter(incident=incident, ended_at__isnull=True)
        .select_related("user")
        .order_by("role")
    )
    roles: dict[str, Any] = dict.fromkeys(IncidentRole.values)
    for assignment in holders:
        roles[assignment.role] = assignment.user
    timeline = TimelineEvent.objects.filter(incident=incident).select_related("author")
    key_moments = list(timeline.filter(key_moment=True).order_by("occurred_at", "id")[:50])
    latest = list(timeline.order_by("-occurred_at", "-id")[:LATEST_UPDATES])
    tasks = list(
        Task.objects.filter(incident=incident, status=TaskStatus.OPEN).select_related("assignee")
    )
    impact_since = incident.impact_started_at or incident.detected_at or incident.declared_at
    return Catchup(
        incident=incident,
        now=now,
        impact_since=impact_since,
        roles=roles,
        key_moments=key_moments,
        latest=latest,
        open_tasks=tasks,
    )

"""Read-side functions: who can see what, finding incidents, catch-up.

Every list, page, API call, CLI command and live stream goes through
`visible_incidents` or `can_view`, so a private incident is hidden in the
same way everywhere.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import reduce
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import AnyUser, admins_q, is_admin
from hotwash.core import refs
from hotwash.core.errors import InvalidInput, NotFound
from hotwash.core.validators import check_date
from hotwash.incidents import fields as custom_fields
from hotwash.incidents.models import (
    OPEN_STATUSES,
    REF_PREFIX,
    DetectionSource,
    Incident,
    IncidentRole,
    Participant,
    RoleAssignment,
    Service,
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
    return incidents.filter(_visible_q(user.pk, ""))


def _visible_q(user_id: int, prefix: str) -> Q:
    """The rule for a signed-in reader who is not an admin: public
    incidents, and private ones they take part in. `prefix` reaches the
    incident from another model ("incident__")."""
    mine = Participant.objects.filter(user_id=user_id).values("incident_id")
    return Q(**{f"{prefix}private": False}) | Q(**{f"{prefix}pk__in": mine})


def with_visible_incident(user: AnyUser) -> Q:
    """visible_incidents as a filter on rows that have an `incident`: rows
    of no incident do not match (callers add `Q(incident__isnull=True)`
    where those are everyone's). It reads the row's own incident through a
    join; `incident__in=visible_incidents(user)` would make the database
    list every visible incident (100,000 ids at scale) to check a page of
    twenty rows."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if is_admin(user):
        return Q(incident__isnull=False)
    return _visible_q(user.pk, "incident__")


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
    types: tuple[str, ...] = ()
    # (field key, cleaned value) pairs, each an exact match on the custom field.
    fields: tuple[tuple[str, Any], ...] = ()
    team: str = ""  # a team's slug: incidents affecting a service the team owns
    # Trigger policy keys (or NONE: declared by a person), as insights counts them.
    triggers: tuple[str, ...] = ()
    # Detection sources (or NONE: not recorded).
    detections: tuple[str, ...] = ()
    # Duplicates merged into another incident: None both, False without
    # them (what insights counts), True only them.
    merged: bool | None = None

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
        types = tuple(_parse_type(raw) for raw in values("type"))
        # Not split on commas: a text field's value may hold one.
        raw_fields = params.getlist("field") if hasattr(params, "getlist") else values("field")
        return cls(
            types=types,
            fields=tuple(_parse_field(str(raw), types) for raw in raw_fields if str(raw).strip()),
            statuses=tuple(s for s in statuses if s != "open"),
            open_only="open" in statuses,
            severities=tuple(severities),
            service=(values("service") or [""])[0].strip(),
            since=_parse_date(values("since"), "since"),
            until=_parse_date(values("until"), "until"),
            text=(values("q") or [""])[0].strip()[:200],
            sort=sort,
            team=_parse_team((values("team") or [""])[0].strip()),
            triggers=tuple(_parse_trigger(raw) for raw in values("trigger")),
            detections=tuple(_parse_detection(raw) for raw in values("detection")),
            merged=_parse_merged((values("merged") or [""])[0]),
        )

    def apply(self, incidents: QuerySet[Incident]) -> QuerySet[Incident]:
        wanted = set(self.statuses) | (set(OPEN_STATUSES) if self.open_only else set())
        if wanted:
            # Spelled out as IN (...) rather than NOT IN (resolved, closed):
            # the positive form can use the status index.
            incidents = incidents.filter(status__in=sorted(wanted))
        if self.severities:
            incidents = incidents.filter(severity__in=self.severities)
        if self.service.lower() == NONE:
            incidents = incidents.filter(services__isnull=True)
        elif self.service:
            incidents = incidents.filter(services__name__iexact=self.service)
        if self.since:
            incidents = incidents.filter(declared_at__gte=_start_of(self.since))
        if self.until:
            incidents = incidents.filter(declared_at__lt=_start_of(self.until + timedelta(days=1)))
        if self.text:
            incidents = incidents.filter(title__icontains=self.text)
        if self.types:
            incidents = incidents.filter(type__in=self.types)
        for index, (key, value) in enumerate(self.fields):
            # Through an alias: a field key that is also a lookup's name
            # ("contains") would otherwise be read as that lookup.
            alias = f"custom_field_{index}"
            incidents = incidents.alias(**{alias: KeyTransform(key, "fields")}).filter(
                **{alias: value}
            )
        if self.team:
            # Through IN (subquery), not a join: an incident with two of the
            # team's services must still be listed once (insights counts it once).
            incidents = incidents.filter(
                pk__in=Incident.objects.filter(services__teams__slug=self.team).values("pk")
            )
        if self.triggers:
            incidents = incidents.filter(_opened_by_trigger_q(self.triggers))
        if self.detections:
            sources = ["" if key == NONE else key for key in self.detections]
            incidents = incidents.filter(detection_source__in=sources)
        if self.merged is not None:
            incidents = incidents.filter(merged_into__isnull=not self.merged)
        return incidents.order_by(*SORTS[self.sort])


# The `trigger` and `detection` value for "none": declared by a person, and
# detection source not recorded (the insights charts' "" series).
NONE = "none"

# hotwash.triggers sits above this app (pyproject.toml, [tool.importlinter]):
# its rows are reached through the relations it declares on Incident
# (`policy_firings`, `trigger_proposals`), and these stored values are
# spelled here as hotwash.triggers.models stores them (Action.DECLARED,
# ProposalKind.DECLARE, ProposalStatus.ACCEPTED). The list filter tests
# build firings with the triggers app's own constants, so a rename fails there.
_FIRING_DECLARED = "declared"
_PROPOSAL_DECLARE = "declare"
_PROPOSAL_ACCEPTED = "accepted"


def _related_model(model: Any, relation: str) -> Any:
    """The model at the other end of `relation` (a name declared on `model`
    by a higher layer), without importing that layer."""
    return model._meta.get_field(relation).related_model


def trigger_choices() -> list[tuple[str, str]]:
    """(key, label) of each trigger policy kind, from the firing model's
    field: the values the `trigger` filter takes, besides NONE."""
    firing = _related_model(Incident, "policy_firings")
    return [(str(key), str(label)) for key, label in firing._meta.get_field("trigger").choices]


def team_choices() -> list[tuple[str, str]]:
    """(slug, name) of every team, for the `team` filter."""
    team = _related_model(Service, "teams")
    return list(team.objects.order_by("name").values_list("slug", "name")[:500])


def _opened_by_trigger_q(keys: tuple[str, ...]) -> Q:
    """Incidents a trigger policy of one of `keys` opened, exactly as the
    insights page counts them (hotwash.insights.queries._weekly_by_trigger):
    a firing that declared the incident, or an accepted "declare" proposal
    (made by a firing) that opened it, when no firing declared it. NONE
    means no trigger opened it: declared by a person."""
    named = [key for key in keys if key != NONE]
    wanted = []
    if named:
        # Subqueries, not joins: an incident is listed once however many rows
        # match. Each relation's conditions sit in one filter() call, so they
        # hold for the same firing (or proposal), as in the insights query.
        wanted.append(Q(pk__in=_declared_by(policy_firings__trigger__in=named)))
        wanted.append(Q(pk__in=_accepted_from(trigger_proposals__firing__trigger__in=named)))
    if NONE in keys:
        wanted.append(~Q(pk__in=_declared_by()) & ~Q(pk__in=_accepted_from()))
    return reduce(operator.or_, wanted)


def _declared_by(**firing: Any) -> QuerySet[Incident, Any]:
    """Ids of incidents a firing (matching `firing`) declared."""
    return Incident.objects.filter(policy_firings__action=_FIRING_DECLARED, **firing).values("pk")


def _accepted_from(**proposal: Any) -> QuerySet[Incident, Any]:
    """Ids of incidents an accepted "declare" proposal (matching `proposal`)
    opened, when no firing declared them."""
    return (
        Incident.objects.filter(
            trigger_proposals__kind=_PROPOSAL_DECLARE,
            trigger_proposals__status=_PROPOSAL_ACCEPTED,
            **proposal,
        )
        .exclude(policy_firings__action=_FIRING_DECLARED)
        .values("pk")
    )


def _parse_team(slug: str) -> str:
    if slug and not _related_model(Service, "teams").objects.filter(slug=slug).exists():
        raise InvalidInput(_("Unknown team %(value)s.") % {"value": slug}, field="team")
    return slug


def _parse_trigger(raw: str) -> str:
    key = raw.strip().lower()
    known = [choice for choice, _label in trigger_choices()]
    if key != NONE and key not in known:
        raise InvalidInput(
            _("Unknown trigger %(value)s: use one of %(choices)s.")
            % {"value": raw.strip(), "choices": ", ".join([*known, NONE])},
            field="trigger",
        )
    return key


def _parse_detection(raw: str) -> str:
    key = raw.strip().lower()
    if key != NONE and key not in DetectionSource.values:
        raise InvalidInput(
            _("Unknown detection source %(value)s: use one of %(choices)s.")
            % {"value": raw.strip(), "choices": ", ".join([*DetectionSource.values, NONE])},
            field="detection",
        )
    return key


MERGED_VALUES = {"yes": True, "no": False}


def _parse_merged(raw: str) -> bool | None:
    key = raw.strip().lower()
    if not key:
        return None
    if key not in MERGED_VALUES:
        raise InvalidInput(
            _("Unknown value %(value)s for merged duplicates: use yes or no.")
            % {"value": raw.strip()},
            field="merged",
        )
    return MERGED_VALUES[key]


def _parse_type(raw: str) -> str:
    key = raw.strip().lower()
    try:
        return custom_fields.clean_type(key)
    except InvalidInput as error:
        # The list parameter is `type`, as clean_type names it.
        raise InvalidInput(error.message, field="type") from None


def _parse_field(raw: str, types: tuple[str, ...]) -> tuple[str, Any]:
    """`key:value` of the `field` filter, the value cleaned as the field's
    kind stores it (so `people_affected:120` finds the number 120 and
    `privacy_office_notified:no` the value false)."""
    key, sep, text = raw.partition(":")
    key = key.strip()
    definition = custom_fields.find_field(key, types[0] if len(types) == 1 else None)
    if not sep or definition is None:
        raise InvalidInput(
            _("%(value)s is not a field filter: use key:value with a field key, e.g. %(example)s.")
            % {"value": raw, "example": "people_affected:120"},
            field="field",
        )
    try:
        value = custom_fields.clean_value(definition, text)
    except InvalidInput as error:
        raise InvalidInput(
            _("%(field)s: %(problem)s")
            % {"field": definition.name.get(), "problem": error.message},
            field="field",
        ) from None
    if value is None:
        raise InvalidInput(
            _("The field filter %(value)s has no value: use key:value.") % {"value": raw},
            field="field",
        )
    return key, value


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

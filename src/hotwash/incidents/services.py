"""Write-side functions for incidents.

Each function runs in one transaction that writes the change, its timeline
entry and its audit record together, then tells live subscribers after the
commit. Views, API routers, CLI commands and (later) webhooks all call these;
none of them writes incident models directly.

Changes to the incident itself (`update_incident`: fields, status,
severity, privacy, services, times; `assign_role`) lock its row first and
raise its `version` by one; given the version a form or an If-Match header
was based on, they refuse a stale change (StaleVersion). Timeline entries,
tasks and participants leave the version alone: a note written meanwhile
never makes someone's change stale.

Every function that writes takes a keyword-only `now` (default: the current
time, read once) and stamps everything the call writes with it: the rows,
the timeline entries, the audit record and the times quoted inside them.
Real use leaves it out; the demo passes the moment its story says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.core import text as core_text
from hotwash.core.audit import record_audit
from hotwash.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from hotwash.incidents import fields as custom_fields
from hotwash.incidents.display import person_name
from hotwash.incidents.models import (
    ENDED_STATUSES,
    IMPACT_TIME_FIELDS,
    OPEN_STATUSES,
    DetectionSource,
    Incident,
    IncidentRole,
    Participant,
    RoleAssignment,
    Service,
    Severity,
    Status,
    Task,
    TaskStatus,
    TimelineEdit,
    TimelineEvent,
    TimelineKind,
    severity_level,
)
from hotwash.incidents.queries import can_view
from hotwash.incidents.signals import incident_declared, incident_role_assigned, incident_updated
from hotwash.live.bus import VISIBILITY, publish_incident_change
from hotwash.policies import incident_type, load_policies

Actor = User | AnonymousUser | None

TITLE_MAX = 200
TEXT_MAX = 20_000
# Clocks drift; a "back-dated" time a little ahead of ours is a client clock,
# not a prediction, so it is accepted as now.
FUTURE_TOLERANCE = timedelta(minutes=2)
TEXT_FIELDS = ("title", "summary", "impact")
UPDATABLE_FIELDS = frozenset(
    {*TEXT_FIELDS, "status", "severity", "private", "detection_source", "services"}
    | {"type", "fields"}
    | set(IMPACT_TIME_FIELDS)
)


class StaleVersion(DomainError):
    """The change was made against an older version of the incident than
    the current one: someone else changed it meanwhile. Nothing is written.
    The API answers 412 (If-Match); pages show the message with the latest
    state, so the person can decide again."""

    status_code = 412

    def __init__(self, *, current: int, expected: int) -> None:
        super().__init__(
            _(
                "Someone else changed this incident since you loaded it (it is now at "
                "version %(current)d; you had version %(expected)d). Nothing was saved: "
                "check the latest details, then make your change again."
            )
            % {"current": current, "expected": expected},
            field="version",
        )
        self.current = current
        self.expected = expected


class StaleState(Conflict):
    """The change was chosen against a status or severity the incident no
    longer has: someone else changed it meanwhile (a page that had not
    caught up, a script that read it earlier). Nothing is written. Unlike
    StaleVersion, only the fields the change was based on matter: a note
    or a new title meanwhile does not stand in the way of a status change."""

    def __init__(self, field: str, *, current: Any, expected: Any) -> None:
        values = {
            "current": _state_label(field, current),
            "expected": _state_label(field, expected),
        }
        if field == "status":
            message = _(
                "The status changed to %(current)s since you loaded this page (you saw "
                "%(expected)s). Nothing was changed: check the latest, then choose again."
            )
        else:
            message = _(
                "The severity changed to %(current)s since you loaded this page (you saw "
                "%(expected)s). Nothing was changed: check the latest, then choose again."
            )
        super().__init__(message % values, field=field)
        self.current = current
        self.expected = expected


# The fields a change may say it was based on (`expected=` below): the
# incident's state, which people choose the next step from.
EXPECTABLE_FIELDS = ("status", "severity")


def _state_label(field: str, value: Any) -> str:
    if field == "status":
        return str(Status(value).label)
    return str(Severity(value).label)


# --- validation -------------------------------------------------------------


def clean_title(value: object) -> str:
    return core_text.clean_title(value, limit=TITLE_MAX, missing=_("Give the incident a title."))


def clean_text(value: object, field: str) -> str:
    return core_text.clean_text(value, field=field, limit=TEXT_MAX)


def clean_severity(value: object) -> int:
    level = severity_level(value)
    if level is not None:
        return level
    raise InvalidInput(
        _("Unknown severity %(value)s: use 1, 2, 3 or 4 (SEV1 is the most severe).")
        % {"value": value},
        field="severity",
    )


def clean_status(value: object) -> str:
    return core_text.clean_choice(
        value,
        Status,
        field="status",
        message=_("Unknown status %(value)s: use one of %(choices)s."),
    )


def clean_detection_source(value: object) -> str:
    """One of DetectionSource's values. "person", its name before "staff",
    is still understood: scripts and stored trigger proposals may send it."""
    if str(value or "").strip().lower() == "person":
        return DetectionSource.STAFF
    return core_text.clean_choice(
        value,
        DetectionSource,
        field="detection_source",
        message=_("Unknown detection source %(value)s: use one of %(choices)s."),
    )


def clean_role(value: object) -> str:
    return core_text.clean_choice(
        value,
        IncidentRole,
        field="role",
        message=_("Unknown role %(value)s: use one of %(choices)s."),
    )


def clean_past_time(value: datetime | None, field: str, *, now: datetime) -> datetime | None:
    """A time that has already happened. Naive times are refused: a time
    without a zone is ambiguous, and the timeline must never guess."""
    if value is None:
        return None
    if timezone.is_naive(value):
        raise InvalidInput(
            _("Give this time with its time zone, e.g. 2026-11-26T03:12:00+00:00."), field=field
        )
    if value > now + FUTURE_TOLERANCE:
        raise InvalidInput(
            _("This time is in the future; it must already have happened."), field=field
        )
    return min(value, now)


def clean_services(names: Iterable[object]) -> list[str]:
    cleaned = []
    for name in names:
        text = str(name).strip()
        if not text:
            continue
        if len(text) > 100:
            raise InvalidInput(_("A service name can be at most 100 characters."), field="services")
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


def find_user(username: str, field: str = "user") -> User:
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise InvalidInput(
            _("There is no active user named %(username)s.") % {"username": username}, field=field
        ) from None


def _require_responder(actor: Actor, incident: Incident | None = None) -> None:
    if actor is None:  # Hotwash itself (alerts, triggers, demo data)
        return
    if not can_respond(actor):
        raise PermissionDenied(_("Only responders and admins can change incidents."))
    if incident is not None and not can_view(actor, incident):
        # Same answer as for an incident that does not exist: a private
        # incident's existence is itself private.
        raise NotFound(_("No incident %(ref)s.") % {"ref": incident.ref})


# --- helpers ----------------------------------------------------------------


def _person(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


# (incident id, user id) pairs this process has seen committed as
# participants. Nobody is ever removed from an incident, so a pair in here is
# always true and saves the insert on most timeline appends (the hot path).
_known_participants: set[tuple[int, int]] = set()
_KNOWN_PARTICIPANTS_MAX = 100_000


def _add_participant(incident: Incident, user: User | None, now: datetime) -> None:
    if user is None:
        return
    pair = (incident.pk, user.pk)
    if pair in _known_participants:
        return
    # One INSERT ... ON CONFLICT DO NOTHING instead of a SELECT then INSERT;
    # the unique constraint already says "once per person".
    Participant.objects.bulk_create(
        [Participant(incident=incident, user=user, joined_at=now)], ignore_conflicts=True
    )
    transaction.on_commit(lambda: _remember_participant(pair))


def forget_participants() -> None:
    _known_participants.clear()


def _remember_participant(pair: tuple[int, int]) -> None:
    if len(_known_participants) >= _KNOWN_PARTICIPANTS_MAX:
        _known_participants.clear()
    _known_participants.add(pair)


def _timeline(
    incident: Incident,
    *,
    actor: Actor,
    kind: str,
    now: datetime,
    occurred_at: datetime | None = None,
    body: str = "",
    data: dict[str, Any] | None = None,
    key_moment: bool = False,
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        incident=incident,
        occurred_at=occurred_at or now,
        recorded_at=now,
        author=_person(actor),
        kind=kind,
        body=body,
        data=data or {},
        key_moment=key_moment,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _clean_expected(expected: Mapping[str, Any] | None) -> dict[str, Any]:
    """The state a change was based on, cleaned like the change itself;
    a field sent empty (None) expects nothing."""
    cleaned: dict[str, Any] = {}
    for field, value in (expected or {}).items():
        if field not in EXPECTABLE_FIELDS:
            raise InvalidInput(
                _("A change cannot be based on %(field)s.") % {"field": field}, field=field
            )
        if value is None or value == "":
            continue
        cleaned[field] = clean_status(value) if field == "status" else clean_severity(value)
    return cleaned


def _lock(
    incident: Incident, expected_version: int | None, expected: Mapping[str, Any] | None = None
) -> Incident:
    """The incident's row, locked until the transaction ends, after checking
    that the change was made against its current state (`expected`, cleaned)
    and version (None: no check). Every change to the incident itself takes
    this lock first, so concurrent changes queue instead of racing, and the
    state and version they see are the ones they replace."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    # The state first: "the status changed to Identified" says more than
    # a version number, when both are stale.
    for field, value in (expected or {}).items():
        if getattr(locked, field) != value:
            raise StaleState(field, current=getattr(locked, field), expected=value)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current=locked.version, expected=expected_version)
    return locked


# --- incidents --------------------------------------------------------------


def declare_incident(
    *,
    actor: Actor,
    title: str,
    severity: object = None,
    status: object = None,
    summary: str = "",
    impact: str = "",
    services: Iterable[object] = (),
    private: bool | None = None,
    detection_source: object = None,
    impact_started_at: datetime | None = None,
    detected_at: datetime | None = None,
    type: object = None,
    fields: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Incident:
    """Open an incident. Only the title is required; everything else has a
    default and can be filled in later. Detection has none: left out, it is
    not recorded ("") until someone says (`record_detection`).

    `type` is an incident type's key (default: the policy's default type);
    the type presets the severity and privacy the declarer leaves out
    (None), and its required custom `fields` must be given."""
    _require_responder(actor)
    now = timezone.now() if now is None else now
    title = clean_title(title)
    type_key = custom_fields.clean_type(type)
    definition = incident_type(type_key)
    field_values = custom_fields.clean_fields(type_key, fields)
    preset_severity = definition.default_severity if definition is not None else None
    level = (
        clean_severity(severity)
        if severity not in (None, "")
        else preset_severity or load_policies().default_severity
    )
    if private is None:
        private = definition.private if definition is not None else False
    state = clean_status(status) if status not in (None, "") else Status.INVESTIGATING
    source = clean_detection_source(detection_source) if detection_source not in (None, "") else ""
    summary = clean_text(summary, "summary")
    impact = clean_text(impact, "impact")
    service_names = clean_services(services)
    started = clean_past_time(impact_started_at, "impact_started_at", now=now)
    detected = clean_past_time(detected_at, "detected_at", now=now) or now

    with transaction.atomic():
        incident = Incident.objects.create(
            title=title,
            severity=level,
            status=state,
            summary=summary,
            impact=impact,
            private=bool(private),
            detection_source=source,
            type=type_key,
            fields=field_values,
            created_by=_person(actor),
            impact_started_at=started,
            detected_at=detected,
            declared_at=now,
            updated_at=now,
        )
        if service_names:
            incident.services.set(services_named(service_names))
        _add_participant(incident, _person(actor), now)
        _timeline(
            incident,
            actor=actor,
            kind=TimelineKind.DECLARED,
            now=now,
            data={"title": title, "severity": level, "status": state, "type": type_key},
            key_moment=True,
        )
        record_audit(
            actor=actor,
            action="incident.declared",
            obj=incident,
            changes={
                "title": title,
                "severity": level,
                "status": state,
                "private": incident.private,
                "type": type_key,
                "fields": field_values,
            },
            now=now,
        )
        incident_declared.send(sender=Incident, incident=incident, actor=actor, now=now)
        publish_incident_change(incident.pk, "declared")
    return incident


def services_named(names: list[str]) -> list[Service]:
    """The services with these names, creating those that do not exist yet."""
    existing = {s.name: s for s in Service.objects.filter(name__in=names)}
    return [existing.get(name) or Service.objects.create(name=name) for name in names]


def _status_side_effects(incident: Incident, new_status: str, now: datetime) -> dict[str, Any]:
    """Times implied by a status change, unless someone already set them."""
    implied: dict[str, Any] = {}
    if (
        incident.status == Status.TRIAGE
        and new_status != Status.TRIAGE
        and not incident.acknowledged_at
    ):
        implied["acknowledged_at"] = now
    if new_status in (Status.MONITORING, *ENDED_STATUSES) and not incident.mitigated_at:
        implied["mitigated_at"] = now
    if new_status in ENDED_STATUSES and not incident.resolved_at:
        implied["resolved_at"] = now
    if new_status == Status.CLOSED and not incident.closed_at:
        implied["closed_at"] = now
    if new_status in OPEN_STATUSES:
        # Reopened: it is no longer resolved or closed.
        if incident.resolved_at:
            implied["resolved_at"] = None
        if incident.closed_at:
            implied["closed_at"] = None
    return implied


def _clean_changes(changes: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(_("%(field)s cannot be changed.") % {"field": field}, field=field)
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "title":
            cleaned[field] = clean_title(value)
        elif field in TEXT_FIELDS:
            cleaned[field] = clean_text(value, field)
        elif field == "status":
            cleaned[field] = clean_status(value)
        elif field == "severity":
            cleaned[field] = clean_severity(value)
        elif field == "detection_source":
            # Empty: back to "not recorded".
            cleaned[field] = clean_detection_source(value) if value not in (None, "") else ""
        elif field == "private":
            cleaned[field] = bool(value)
        elif field == "services":
            cleaned[field] = clean_services(value or [])
        elif field == "type":
            if value in (None, ""):
                # Not quietly "the default type": that would change it.
                raise InvalidInput(_("An incident always has a type."), field="type")
            cleaned[field] = custom_fields.clean_type(value)
        elif field == "fields":
            # Checked against the type under the row lock (update_incident).
            if value is not None and not isinstance(value, Mapping):
                raise InvalidInput(
                    _("Send the fields as an object of field keys and values."), field="fields"
                )
            cleaned[field] = dict(value or {})
        else:
            cleaned[field] = clean_past_time(value, field, now=now)
    if "declared_at" in cleaned and cleaned["declared_at"] is None:
        raise InvalidInput(_("An incident always has a declaration time."), field="declared_at")
    return cleaned


def update_incident(
    incident: Incident,
    *,
    actor: Actor,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    expected: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Incident:
    """Change fields of an incident. Each field that really changes writes
    its own timeline entry; fields given with their current value write
    nothing. With `expected_version`, a change made against an older
    version is refused (StaleVersion); with `expected` (the status and/or
    severity the change was chosen from), a change made after either moved
    is refused (StaleState). Any real change raises the version by one."""
    _require_responder(actor, incident)
    now = timezone.now() if now is None else now
    cleaned = _clean_changes(changes, now)
    based_on = _clean_expected(expected)
    with transaction.atomic():
        incident = _lock(incident, expected_version, based_on)
        if "status" in cleaned and cleaned["status"] != incident.status:
            for field, value in _status_side_effects(incident, cleaned["status"], now).items():
                cleaned.setdefault(field, value)
        audit: dict[str, Any] = {}
        if "type" in cleaned or "fields" in cleaned:
            _change_type_and_fields(
                incident,
                cleaned.pop("type", incident.type),
                cleaned.pop("fields", {}),
                actor=actor,
                now=now,
                audit=audit,
            )
        for field, value in cleaned.items():
            if field == "services":
                _change_services(incident, value, actor=actor, now=now, audit=audit)
                continue
            old = getattr(incident, field)
            if old == value:
                continue
            setattr(incident, field, value)
            audit[field] = {"from": _jsonable(old), "to": _jsonable(value)}
            _timeline(
                incident,
                actor=actor,
                kind=_kind_for(field),
                now=now,
                data={"field": field, "from": _jsonable(old), "to": _jsonable(value)},
                key_moment=field in ("status", "severity"),
            )
        if not audit:
            return incident
        incident.updated_at = now
        incident.version += 1
        incident.save()
        _add_participant(incident, _person(actor), now)
        record_audit(actor=actor, action="incident.updated", obj=incident, changes=audit, now=now)
        if audit.get("private", {}).get("to") is True:
            # Before anything the receivers announce: the stream of someone
            # who may no longer see the incident ends before it would pass
            # on another word about it.
            publish_incident_change(incident.pk, VISIBILITY)
        # Receivers write in this transaction (hotwash.wiring.reactions):
        # resolving drafts the postmortem or starts its clock; turning
        # private ends its public sharing.
        incident_updated.send(
            sender=Incident, incident=incident, actor=actor, changes=audit, now=now
        )
        publish_incident_change(incident.pk, "updated")
    return incident


def record_detection(
    incident: Incident, *, actor: Actor, detection_source: object, now: datetime | None = None
) -> Incident:
    """Answer "How was this detected?" for an incident declared without
    saying: the change, its timeline entry and audit record as any update
    writes them. Refused (Conflict) once detection is recorded, so two
    people answering at once do not overwrite each other: the second is
    told what the first said, and can still change it under Edit details."""
    _require_responder(actor, incident)
    if detection_source in (None, ""):
        raise InvalidInput(_("Choose how it was detected."), field="detection_source")
    source = clean_detection_source(detection_source)
    with transaction.atomic():
        # Locked for the check: a concurrent answer waits here, then sees ours.
        current = Incident.objects.select_for_update().get(pk=incident.pk)
        if current.detection_source:
            raise Conflict(
                _("Someone already recorded how it was detected: %(source)s.")
                % {"source": current.get_detection_source_display()},
                field="detection_source",
            )
        return update_incident(current, actor=actor, changes={"detection_source": source}, now=now)


def _change_type_and_fields(
    incident: Incident,
    type_key: str,
    values: Mapping[str, Any],
    *,
    actor: Actor,
    now: datetime,
    audit: dict[str, Any],
) -> None:
    """A new type and/or field values, checked together against the type
    the incident ends up with (a new type's required fields must come with
    it; values the new type does not define are dropped). One timeline
    entry for the type and one per field that changes; their sentences
    are written at display time in each reader's language (display.py).
    The entries stay on the incident's own timeline, so a private
    incident's values are seen only by those who can see it."""
    old_type = incident.type
    old_fields = dict(incident.fields or {})
    # Values kept from the old type only when the type stays: a new type
    # starts from the values it was given.
    current = old_fields if type_key == old_type else {}
    new_fields = custom_fields.clean_fields(type_key, values, current=current)
    if type_key != old_type:
        incident.type = type_key
        audit["type"] = {"from": old_type, "to": type_key}
        _timeline(
            incident,
            actor=actor,
            kind=TimelineKind.UPDATE,
            now=now,
            data={"field": "type", "from": old_type, "to": type_key},
            key_moment=True,
        )
    if new_fields == old_fields:
        return
    incident.fields = new_fields
    audit["fields"] = {"from": old_fields, "to": new_fields}
    for key in [*new_fields, *(k for k in old_fields if k not in new_fields)]:
        before, after = old_fields.get(key), new_fields.get(key)
        if before == after:
            continue
        _timeline(
            incident,
            actor=actor,
            kind=TimelineKind.UPDATE,
            now=now,
            data={
                "field": f"fields.{key}",
                "type": type_key if key in new_fields else old_type,
                "from": before,
                "to": after,
            },
        )


def _kind_for(field: str) -> str:
    return {"status": TimelineKind.STATUS, "severity": TimelineKind.SEVERITY}.get(
        field, TimelineKind.UPDATE
    )


def _change_services(
    incident: Incident, names: list[str], *, actor: Actor, now: datetime, audit: dict[str, Any]
) -> None:
    old = sorted(incident.services.values_list("name", flat=True))
    if old == sorted(names):
        return
    incident.services.set(services_named(names))
    audit["services"] = {"from": old, "to": sorted(names)}
    _timeline(
        incident,
        actor=actor,
        kind=TimelineKind.UPDATE,
        now=now,
        data={"field": "services", "from": old, "to": sorted(names)},
    )


def set_status(
    incident: Incident,
    *,
    actor: Actor,
    status: object,
    expected_version: int | None = None,
    expected_status: object = None,
    now: datetime | None = None,
) -> Incident:
    """Move the incident to `status`; with `expected_status` (the status
    the person saw when choosing), only if it is still in it."""
    return update_incident(
        incident,
        actor=actor,
        changes={"status": status},
        expected_version=expected_version,
        expected={"status": expected_status},
        now=now,
    )


# --- timeline ---------------------------------------------------------------


def add_timeline_event(
    incident: Incident,
    *,
    actor: Actor,
    body: str,
    kind: object = TimelineKind.NOTE,
    occurred_at: datetime | None = None,
    key_moment: bool = False,
    now: datetime | None = None,
) -> TimelineEvent:
    """A note or decision written by a person, now or back-dated."""
    _require_responder(actor, incident)
    now = timezone.now() if now is None else now
    text = clean_text(body, "body")
    if not text:
        raise InvalidInput(_("Write something for the timeline entry."), field="body")
    kind_value = str(kind).strip().lower()
    if kind_value not in (TimelineKind.NOTE, TimelineKind.DECISION):
        raise InvalidInput(
            _("Unknown entry kind %(value)s: use note or decision.") % {"value": kind}, field="kind"
        )
    when = clean_past_time(occurred_at, "occurred_at", now=now)
    with transaction.atomic():
        event = _timeline(
            incident,
            actor=actor,
            kind=kind_value,
            now=now,
            occurred_at=when,
            body=text,
            key_moment=bool(key_moment),
        )
        _touch(incident, actor, now)
        record_audit(
            actor=actor,
            action="timeline.added",
            obj=event,
            changes={"incident": incident.pk, "kind": kind_value, "key_moment": bool(key_moment)},
            now=now,
        )
        publish_incident_change(incident.pk, "timeline")
    return event


def record_system_event(
    incident: Incident,
    *,
    kind: str,
    data: dict[str, Any],
    actor: Actor = None,
    body: str = "",
    occurred_at: datetime | None = None,
    key_moment: bool = False,
    now: datetime | None = None,
) -> TimelineEvent:
    """An entry written by Hotwash on behalf of another app (a postmortem
    changing state, an action item, an alert, a trigger firing). The caller
    runs it inside its own transaction and records its own audit record; the
    entry's text comes from `data` at display time (see
    display.register_describer), so each reader sees it in their language.
    `body` is the plain-text fallback for exports and search."""
    if kind in (TimelineKind.NOTE, TimelineKind.DECISION):
        raise ValueError("notes and decisions are written by people: use add_timeline_event")
    now = timezone.now() if now is None else now
    with transaction.atomic():
        event = _timeline(
            incident,
            actor=actor,
            kind=kind,
            now=now,
            occurred_at=occurred_at,
            body=body,
            data=data,
            key_moment=key_moment,
        )
        _touch(incident, actor, now)
        publish_incident_change(incident.pk, "timeline")
    return event


def _touch(incident: Incident, actor: Actor, now: datetime) -> None:
    Incident.objects.filter(pk=incident.pk).update(updated_at=now)
    _add_participant(incident, _person(actor), now)


def edit_timeline_event(
    event: TimelineEvent,
    *,
    actor: Actor,
    body: str | None = None,
    occurred_at: datetime | None = None,
    key_moment: bool | None = None,
    now: datetime | None = None,
) -> TimelineEvent:
    """Correct an entry. The previous values are kept in its edit history."""
    incident = event.incident
    _require_responder(actor, incident)
    now = timezone.now() if now is None else now
    after: dict[str, Any] = {}
    if body is not None:
        text = clean_text(body, "body")
        if event.kind in (TimelineKind.NOTE, TimelineKind.DECISION) and not text:
            raise InvalidInput(_("Write something for the timeline entry."), field="body")
        after["body"] = text
    if occurred_at is not None:
        after["occurred_at"] = clean_past_time(occurred_at, "occurred_at", now=now)
    if key_moment is not None:
        after["key_moment"] = bool(key_moment)
    changed = {f: v for f, v in after.items() if getattr(event, f) != v}
    if not changed:
        return event
    with transaction.atomic():
        before = {f: _jsonable(getattr(event, f)) for f in changed}
        for field, value in changed.items():
            setattr(event, field, value)
        event.edited_at = now
        event.save()
        TimelineEdit.objects.create(
            event=event,
            editor=_person(actor),
            edited_at=now,
            before=before,
            after={f: _jsonable(v) for f, v in changed.items()},
        )
        _touch(incident, actor, now)
        record_audit(
            actor=actor,
            action="timeline.edited",
            obj=event,
            changes={"before": before, "after": {f: _jsonable(v) for f, v in changed.items()}},
            now=now,
        )
        publish_incident_change(incident.pk, "timeline")
    return event


# --- roles ------------------------------------------------------------------


def assign_role(
    incident: Incident,
    *,
    actor: Actor,
    role: object,
    user: User | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> RoleAssignment | None:
    """Give `role` to `user` (None: leave it vacant). The previous holder's
    assignment ends at the same instant, so a hand-over is one action.

    The incident's row is locked first: people taking the same role at the
    same moment queue, and each hands over from whoever got there first
    (without the lock, both saw no holder and both inserted one). With
    `expected_version`, a change made against an older version is refused."""
    _require_responder(actor, incident)
    role_value = clean_role(role)
    with transaction.atomic():
        locked = _lock(incident, expected_version)
        # Read under the lock (unless given): a turn never ends before it began.
        now = timezone.now() if now is None else now
        current = (
            RoleAssignment.objects.filter(incident=incident, role=role_value, ended_at__isnull=True)
            .select_related("user")
            .first()
        )
        if current is not None and user is not None and current.user_id == user.pk:
            return current
        if current is None and user is None:
            return None
        if current is not None:
            current.ended_at = now
            current.save(update_fields=["ended_at"])
        assignment = None
        if user is not None:
            assignment = RoleAssignment.objects.create(
                incident=incident,
                role=role_value,
                user=user,
                started_at=now,
                assigned_by=_person(actor),
            )
            _add_participant(incident, user, now)
        previous = current.user.get_username() if current is not None else None
        holder = user.get_username() if user is not None else None
        _timeline(
            incident,
            actor=actor,
            kind=TimelineKind.ROLE,
            now=now,
            # Usernames say who; the names are how the sentence reads (display.py).
            data={
                "role": role_value,
                "from": previous,
                "to": holder,
                "from_name": person_name(current.user) if current is not None else None,
                "to_name": person_name(user) if user is not None else None,
            },
            key_moment=role_value == IncidentRole.COMMANDER,
        )
        updates: dict[str, Any] = {"updated_at": now, "version": locked.version + 1}
        if role_value == IncidentRole.COMMANDER and user is not None and not locked.acknowledged_at:
            updates["acknowledged_at"] = now
        Incident.objects.filter(pk=incident.pk).update(**updates)
        for field, value in updates.items():
            setattr(incident, field, value)
        _add_participant(incident, _person(actor), now)
        record_audit(
            actor=actor,
            action="incident.role_assigned",
            obj=incident,
            changes={"role": role_value, "from": previous, "to": holder},
            now=now,
        )
        incident_role_assigned.send(
            sender=Incident,
            incident=incident,
            actor=actor,
            role=role_value,
            previous=previous,
            holder=holder,
            now=now,
        )
        publish_incident_change(incident.pk, "role")
    return assignment


def add_participant(
    incident: Incident, *, actor: Actor, user: User, now: datetime | None = None
) -> None:
    """Bring someone into an incident (the only way into a private one)."""
    _require_responder(actor, incident)
    now = timezone.now() if now is None else now
    with transaction.atomic():
        created = Participant.objects.get_or_create(
            incident=incident, user=user, defaults={"joined_at": now}
        )[1]
        if not created:
            return
        Incident.objects.filter(pk=incident.pk).update(updated_at=now)
        record_audit(
            actor=actor,
            action="incident.participant_added",
            obj=incident,
            changes={"user": user.get_username()},
            now=now,
        )
        publish_incident_change(incident.pk, "participants")


# --- tasks ------------------------------------------------------------------


def add_task(
    incident: Incident,
    *,
    actor: Actor,
    title: str,
    assignee: User | None = None,
    now: datetime | None = None,
) -> Task:
    _require_responder(actor, incident)
    now = timezone.now() if now is None else now
    task_title = core_text.clean_title(title, limit=TITLE_MAX, missing=_("Give the task a title."))
    with transaction.atomic():
        task = Task.objects.create(
            incident=incident,
            title=task_title,
            assignee=assignee,
            created_at=now,
            created_by=_person(actor),
        )
        if assignee is not None:
            _add_participant(incident, assignee, now)
        _touch(incident, actor, now)
        record_audit(
            actor=actor, action="task.created", obj=task, changes={"title": task_title}, now=now
        )
        publish_incident_change(incident.pk, "task")
    return task


def complete_task(task: Task, *, actor: Actor, now: datetime | None = None) -> Task:
    _require_responder(actor, task.incident)
    if task.status == TaskStatus.DONE:
        return task
    now = timezone.now() if now is None else now
    with transaction.atomic():
        task.status = TaskStatus.DONE
        task.done_at = now
        task.save(update_fields=["status", "done_at"])
        _touch(task.incident, actor, now)
        record_audit(actor=actor, action="task.done", obj=task, now=now)
        publish_incident_change(task.incident_id, "task")
    return task

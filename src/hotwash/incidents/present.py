"""Incidents and what hangs off them as JSON-ready dicts, in the caller's
language and time zone: `present_<thing>(obj, ...)`, like every presenter
(hotwash.core.api.present).

Rendering a page of incidents costs a fixed number of queries: services and
role holders are loaded for the whole page at once (`Related`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.core.api.present import display_name, local, object_url, username
from hotwash.core.choices import choice_label
from hotwash.incidents import fields as custom_fields
from hotwash.incidents.display import (
    describe_event,
    format_duration,
    format_time,
    person_name,
    severity_description,
    severity_name,
)
from hotwash.incidents.linking import merged_into_ref
from hotwash.incidents.models import (
    Incident,
    IncidentRole,
    Participant,
    RoleAssignment,
    Severity,
    Status,
    Task,
    TimelineEdit,
    TimelineEvent,
    TimelineKind,
)
from hotwash.incidents.queries import Catchup


@dataclass(frozen=True)
class Related:
    """What an incident's JSON shows of its related rows, loaded for a whole
    page at once."""

    services: dict[int, list[str]]
    roles: dict[int, dict[str, str | None]]

    @classmethod
    def load(cls, incidents: Iterable[Incident]) -> Related:
        """Two queries for any number of incidents. Plain values, not model
        instances: Django's prefetching builds a queryset per incident, which
        costs more than the queries themselves on a 200-item page."""
        ids = [incident.pk for incident in incidents]
        services: dict[int, list[str]] = {pk: [] for pk in ids}
        links = Incident.services.through.objects.filter(incident_id__in=ids)
        for incident_id, name in links.values_list("incident_id", "service__name").order_by(
            "service__name"
        ):
            services[incident_id].append(name)
        roles: dict[int, dict[str, str | None]] = {
            pk: dict.fromkeys(IncidentRole.values) for pk in ids
        }
        holders = RoleAssignment.objects.filter(incident_id__in=ids, ended_at__isnull=True)
        for incident_id, role, holder in holders.values_list(
            "incident_id", "role", "user__username"
        ):
            roles[incident_id][role] = holder
        return cls(services=services, roles=roles)


def incident_url(incident: Incident, request: HttpRequest) -> str:
    """The incident's web page, in the active language."""
    return object_url(request, "incidents:detail", incident.ref)


def present_incident(
    incident: Incident, request: HttpRequest, related: Related | None = None
) -> dict[str, Any]:
    """The incident's JSON; pass `related` when presenting many."""
    related = related or Related.load([incident])
    return {
        "id": incident.ref,
        "number": incident.pk,
        "title": incident.title,
        "status": incident.status,
        "status_name": choice_label(Status, incident.status),
        **present_severity(incident.severity),
        "private": incident.private,
        "detection_source": incident.detection_source,
        **present_type_and_fields(incident),
        "services": related.services[incident.pk],
        "summary": incident.summary,
        "impact": incident.impact,
        "impact_started_at": local(incident.impact_started_at),
        "detected_at": local(incident.detected_at),
        "declared_at": local(incident.declared_at),
        "acknowledged_at": local(incident.acknowledged_at),
        "mitigated_at": local(incident.mitigated_at),
        "resolved_at": local(incident.resolved_at),
        "closed_at": local(incident.closed_at),
        "updated_at": local(incident.updated_at),
        "version": incident.version,
        **present_merge_pointer(incident, request),
        "roles": related.roles[incident.pk],
        "created_by": username(incident.created_by),
        "url": incident_url(incident, request),
    }


def present_merge_pointer(incident: Incident, request: HttpRequest) -> dict[str, Any]:
    """Whether the incident was merged into another, and which: named only
    to a caller who may see the survivor (hotwash.incidents.linking)."""
    if incident.merged_into_id is None:
        return {"merged": False, "merged_into": None}
    reader = getattr(request, "auth", None) or request.user
    return {"merged": True, "merged_into": merged_into_ref(incident, reader)}


def present_type_and_fields(incident: Incident) -> dict[str, Any]:
    """An incident's type and custom fields, as its JSON shows them."""
    values = dict(incident.fields or {})
    return {
        "type": incident.type,
        "type_name": custom_fields.type_name(incident.type),
        "fields": values,
        "field_details": [
            {
                "key": item.key,
                "name": item.name,
                "kind": item.kind,
                "required": item.required,
                "value": item.value,
                "text": item.text,
            }
            for item in custom_fields.shown_fields(incident.type, values)
        ],
    }


def present_incident_type(key: str) -> dict[str, Any]:
    """One incident type and its fields, in the active language."""
    definition = custom_fields.incident_type(key)
    assert definition is not None, key
    return {
        "key": key,
        "name": definition.name.get(),
        "description": definition.description.get() if definition.description else "",
        "default": key == custom_fields.default_incident_type(),
        "default_severity": definition.default_severity,
        "private": definition.private,
        "template": definition.template,
        "roles": list(definition.roles),
        "fields": [
            {
                "key": field.key,
                "name": field.name.get(),
                "help": field.help.get() if field.help else "",
                "kind": field.kind,
                "required": field.required,
                "choices": [
                    {"key": choice.key, "name": choice.name.get()} for choice in field.choices
                ],
            }
            for field in definition.fields
        ],
    }


def present_incidents(incidents: list[Incident], request: HttpRequest) -> list[dict[str, Any]]:
    related = Related.load(incidents)
    return [present_incident(incident, request, related) for incident in incidents]


def present_severity(level: int) -> dict[str, Any]:
    """A severity's fields, as an incident shows them."""
    return {
        "severity": level,
        "severity_name": severity_name(level),
        "severity_label": choice_label(Severity, level),
        "severity_description": severity_description(level),
    }


def present_severity_level(level: int) -> dict[str, Any]:
    """A severity level on its own, as the list of levels shows it."""
    severity = present_severity(level)
    return {
        "level": severity["severity"],
        "label": severity["severity_label"],
        "name": severity["severity_name"],
        "description": severity["severity_description"],
    }


# --- timeline -------------------------------------------------------------------


def present_entry(event: TimelineEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "kind_name": choice_label(TimelineKind, event.kind),
        "body": event.body,
        "text": describe_event(event),
        "key_moment": event.key_moment,
        "occurred_at": local(event.occurred_at),
        "recorded_at": local(event.recorded_at),
        "author": username(event.author) if event.author_id is not None else None,
        "edited_at": local(event.edited_at),
        "data": event.data or {},
    }


def present_entries(events: Iterable[TimelineEvent]) -> list[dict[str, Any]]:
    return [present_entry(event) for event in events]


def present_entry_edit(edit: TimelineEdit) -> dict[str, Any]:
    return {
        "editor": username(edit.editor) if edit.editor_id is not None else None,
        "edited_at": local(edit.edited_at),
        "before": edit.before,
        "after": edit.after,
    }


# --- roles, participants, tasks -----------------------------------------------------


def present_assignment(item: RoleAssignment) -> dict[str, Any]:
    return {
        "role": item.role,
        "role_name": choice_label(IncidentRole, item.role),
        "user": item.user.get_username(),
        "user_name": display_name(item.user),
        "started_at": local(item.started_at),
        "ended_at": local(item.ended_at),
        "assigned_by": username(item.assigned_by) if item.assigned_by_id is not None else None,
    }


def present_vacant_role(role: str) -> dict[str, Any]:
    return {
        "role": role,
        "role_name": choice_label(IncidentRole, role),
        "user": None,
        "user_name": None,
        "started_at": None,
        "ended_at": None,
        "assigned_by": None,
    }


def present_participant(item: Participant) -> dict[str, Any]:
    return {
        "user": item.user.get_username(),
        "name": display_name(item.user),
        "joined_at": local(item.joined_at),
    }


def present_task(item: Task) -> dict[str, Any]:
    return {
        "id": item.pk,
        "title": item.title,
        "status": item.status,
        "assignee": username(item.assignee) if item.assignee_id is not None else None,
        "created_at": local(item.created_at),
        "done_at": local(item.done_at),
    }


# --- catch-up -------------------------------------------------------------------


def present_catchup(catchup: Catchup, request: HttpRequest) -> dict[str, Any]:
    """Where an incident stands, for someone joining now, as data and as a
    short paragraph built from that data (`summary`)."""
    incident = catchup.incident
    return {
        "id": incident.ref,
        "number": incident.pk,
        "title": incident.title,
        "url": incident_url(incident, request),
        "private": incident.private,
        "status": incident.status,
        "status_name": choice_label(Status, incident.status),
        "status_since": local(catchup.now - catchup.status_duration),
        "for_seconds": int(catchup.status_duration.total_seconds()),
        **present_severity(incident.severity),
        "impact_started_at": local(catchup.impact_since),
        "impact_seconds": int(catchup.impact_duration.total_seconds()),
        "impact": incident.impact,
        "roles": {role: username(user) for role, user in catchup.roles.items()},
        "key_moments": [present_entry(event) for event in catchup.key_moments],
        "latest": [present_entry(event) for event in catchup.latest],
        "open_tasks": [present_task(task) for task in catchup.open_tasks],
        "summary": catchup_summary(catchup),
    }


def catchup_summary(catchup: Catchup) -> str:
    """A few sentences in the active language; each is whole, so each
    translates on its own."""
    incident = catchup.incident
    sentences = [
        _("%(ref)s, %(title)s: %(severity)s (%(severity_name)s), %(status)s for %(duration)s.")
        % {
            "ref": incident.ref,
            "title": incident.title,
            "severity": choice_label(Severity, incident.severity),
            "severity_name": severity_name(incident.severity),
            "status": choice_label(Status, incident.status),
            "duration": format_duration(catchup.status_duration),
        },
        _impact_sentence(catchup),
        *_role_sentences(catchup.roles),
        _tasks_sentence(len(catchup.open_tasks)),
    ]
    if catchup.latest:
        latest = catchup.latest[0]
        sentences.append(
            _("Latest update, %(time)s: %(text)s")
            % {"time": format_time(latest.occurred_at), "text": describe_event(latest)}
        )
    return " ".join(sentences)


def _impact_sentence(catchup: Catchup) -> str:
    duration = format_duration(catchup.impact_duration)
    if catchup.incident.resolved_at:
        sentence = _("Impact lasted %(duration)s.") % {"duration": duration}
    else:
        sentence = _("Impact began %(duration)s ago.") % {"duration": duration}
    if catchup.incident.impact:
        sentence += " " + _("Impact: %(impact)s") % {"impact": catchup.incident.impact}
    return sentence


def _role_sentences(roles: dict[str, Any]) -> list[str]:
    commander = roles.get(IncidentRole.COMMANDER)
    if commander is not None:
        sentences = [_("%(user)s is the incident commander.") % {"user": person_name(commander)}]
    else:
        sentences = [_("Nobody is the incident commander yet.")]
    others = [
        _("%(role)s: %(user)s")
        % {"role": choice_label(IncidentRole, role), "user": person_name(user)}
        for role, user in roles.items()
        if role != IncidentRole.COMMANDER and user is not None
    ]
    if others:
        sentences.append(_("Other roles: %(roles)s.") % {"roles": "; ".join(others)})
    return sentences


def _tasks_sentence(count: int) -> str:
    if not count:
        return _("No tasks are open.")
    return ngettext("%(count)d task is open.", "%(count)d tasks are open.", count) % {
        "count": count
    }

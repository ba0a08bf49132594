"""The JSON snapshot an incident event carries (Event.data["incident"]).

Every channel renders from it (a mail, a page, a webhook body), so what a
delivery says is what was true when the event happened, whatever changed
since. Routing matches rules against it (severity, services, teams, labels).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from hotwash.alerts.models import AlertGroup
from hotwash.incidents.models import IncidentRole, RoleAssignment, Service
from hotwash.notifications.links import absolute
from hotwash.teams.models import Team


def incident_data(incident: Any) -> dict[str, Any]:
    services = sorted(incident.services.values_list("name", flat=True))
    teams = sorted(
        Team.objects.filter(services__name__in=services).values_list("slug", flat=True).distinct()
    )
    commander = (
        RoleAssignment.objects.filter(
            incident=incident, role=IncidentRole.COMMANDER, ended_at__isnull=True
        )
        .values_list("user__username", flat=True)
        .first()
    )
    return {
        "id": incident.pk,
        "ref": incident.ref,
        "title": incident.title,
        "summary": incident.summary,
        "status": incident.status,
        "severity": incident.severity,
        "private": incident.private,
        "services": services,
        "teams": teams,
        "commander": commander,
        "labels": incident_labels(incident.pk),
        "declared_at": _iso(incident.declared_at),
        "resolved_at": _iso(incident.resolved_at),
        "url": incident_url(incident.ref, settings.LANGUAGE_CODE),
    }


def incident_labels(incident_id: int) -> dict[str, str]:
    """Incidents have no labels of their own: these are the common labels
    of the alert groups that opened or joined it (the oldest group's value
    wins where two disagree), what a rule's `when.labels` is matched against."""
    labels: dict[str, str] = {}
    groups = AlertGroup.objects.filter(incident_id=incident_id).order_by("first_fired_at", "id")
    for group_labels in groups.values_list("labels", flat=True)[:50]:
        for key, value in (group_labels or {}).items():
            labels.setdefault(str(key), str(value))
    return labels


# The labels that name an alert's service, as in the shipped trigger policies.
SERVICE_LABELS = ("service", "app", "job")


def services_named_by(labels: dict[str, Any]) -> list[str]:
    """The catalogued services that alert labels name (service, app, job)."""
    values = {str(labels[key]) for key in SERVICE_LABELS if labels.get(key)}
    if not values:
        return []
    return sorted(Service.objects.filter(name__in=values).values_list("name", flat=True))


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def incident_url(ref: str, language: str) -> str:
    """The incident's page in `language` (each reader's mail links to theirs)."""
    with translation.override(language):
        return absolute(reverse("incidents:detail", args=[ref]))

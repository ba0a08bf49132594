"""The JSON snapshot an incident event carries (Event.data["incident"]).

Every channel renders from it (a mail, a page, a webhook body), so what a
delivery says is what was true when the event happened, whatever changed
since. Routing matches rules against it (severity, services, teams).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from hotwash.incidents.models import IncidentRole, RoleAssignment
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
        "declared_at": _iso(incident.declared_at),
        "resolved_at": _iso(incident.resolved_at),
        "url": incident_url(incident.ref, settings.LANGUAGE_CODE),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def incident_url(ref: str, language: str) -> str:
    """The incident's page in `language` (each reader's mail links to theirs)."""
    with translation.override(language):
        return absolute(reverse("incidents:detail", args=[ref]))

"""API routes of stakeholder updates, mounted under /api/v1/: publish an
update on an incident, list its updates."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from hotwash.accounts.api_auth import caller, responder
from hotwash.core.api.errors import ERRORS
from hotwash.core.api.present import local, username
from hotwash.incidents.queries import get_incident
from hotwash.incidents.schemas import IncidentRef
from hotwash.statuspage import services
from hotwash.statuspage.models import StakeholderUpdate
from hotwash.statuspage.schemas import PublishedOut, UpdateIn, UpdateList

router = Router(tags=["Stakeholder updates"])


def present_update(update: StakeholderUpdate) -> dict[str, Any]:
    return {
        "id": update.pk,
        "incident": f"INC-{update.incident_id}",
        "audience": update.audience,
        "status": update.status,
        "text": {"en": update.text_en, "fr": update.text_fr},
        "author": username(update.author),
        "published_at": local(update.published_at),
    }


@router.post(
    "/incidents/{ref}/updates",
    response={201: PublishedOut, **ERRORS},
    summary="Publish a stakeholder update",
    operation_id="publish_update",
)
def publish(request: HttpRequest, ref: IncidentRef, payload: UpdateIn) -> Status[dict[str, Any]]:
    """Publish an update in English and French: `internal` ones reach the
    people following the incident and its services, `public` ones the
    status page and its subscribers. A public update needs both languages
    (422 naming the missing one) and a public incident (422 for a private
    one). The blameless-language assistant's findings come back with the
    update; they do not stop it. Responders and admins only."""
    user = responder(request)
    incident = get_incident(user, ref)
    published = services.publish_update(
        incident,
        actor=user,
        audience=payload.audience,
        status=payload.status,
        text=payload.text.model_dump(),
    )
    body = present_update(published.update)
    body["findings"] = {
        language: [finding.as_dict() for finding in published.findings.get(language, [])]
        for language in services.LANGUAGES
    }
    return Status(201, body)


@router.get(
    "/incidents/{ref}/updates",
    response={200: UpdateList, **ERRORS},
    summary="List an incident's stakeholder updates",
    operation_id="list_updates",
)
def list_updates(request: HttpRequest, ref: IncidentRef) -> dict[str, Any]:
    """Every update of the incident, public and internal, newest first, for
    anyone who can see the incident (404 otherwise)."""
    incident = get_incident(caller(request), ref)
    updates = [
        present_update(update)
        for update in StakeholderUpdate.objects.filter(incident=incident).select_related("author")
    ]
    return {"items": updates, "count": len(updates)}

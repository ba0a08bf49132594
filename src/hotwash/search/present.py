"""Results and similar incidents as JSON-ready dicts for the API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from hotwash.search.queries import Result
from hotwash.search.similar import Similar


def result(item: Result, request: HttpRequest) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "ref": item.ref,
        "id": item.object_id,
        "incident": item.incident_ref,
        "title": item.title,
        "snippet": str(item.snippet_html),
        "occurred_at": item.occurred_at,
        "type": item.incident_type,
        "url": request.build_absolute_uri(item.path),
        "score": round(item.score, 6),
    }


def similar(item: Similar, request: HttpRequest) -> dict[str, Any]:
    incident, postmortem = item.incident, item.postmortem
    return {
        "id": incident.ref,
        "title": incident.title,
        "status": incident.status,
        "severity": incident.severity,
        "type": incident.type,
        "declared_at": incident.declared_at,
        "url": request.build_absolute_uri(reverse("incidents:detail", args=[incident.ref])),
        "score": round(item.score, 6),
        "shared_services": item.shared_services,
        "same_type": item.same_type,
        "postmortem": None
        if postmortem is None
        else {
            "id": postmortem.pk,
            "title": postmortem.title,
            "status": postmortem.status,
            "url": request.build_absolute_uri(reverse("postmortems:detail", args=[postmortem.pk])),
        },
        "lessons": item.lessons,
    }

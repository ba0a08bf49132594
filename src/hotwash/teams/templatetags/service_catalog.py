"""`{% load service_catalog %}`: the service catalog on other pages.

- `{% service_owners incident %}`: the incident page's panel with the
  owners, escalation contact, runbooks and chat channel of each of its
  services;
- `service.runbooks|runbook_links`: a service's runbooks that are safe to
  link (http and https only: the admin edits the JSON directly, so the
  page checks again what the services checked on the way in).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import template

from hotwash.incidents.models import Incident
from hotwash.teams.queries import incident_catalog
from hotwash.teams.services import URL_SCHEMES

register = template.Library()


@register.filter
def runbook_links(runbooks: Any) -> list[dict[str, str]]:
    links = []
    for entry in runbooks if isinstance(runbooks, list) else []:
        if not isinstance(entry, dict):
            continue
        url = str(entry.get("url") or "")
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.scheme.lower() in URL_SCHEMES and parts.hostname:
            links.append({"title": str(entry.get("title") or url), "url": url})
    return links


@register.inclusion_tag("teams/_incident_services.html")
def service_owners(incident: Incident) -> dict[str, Any]:
    return {"incident": incident, "services": incident_catalog(incident)}

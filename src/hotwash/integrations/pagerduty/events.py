"""What Hotwash sends PagerDuty for one event (Events API v2, an alert
event), without the routing key, which the channel adds at the last moment.

    trigger: {"event_action": "trigger", "dedup_key": "INC-42",
              "payload": {"summary", "source", "severity", "timestamp",
                          "component", "group", "class", "custom_details"},
              "links": [{"href", "text"}], "client": "Hotwash", "client_url"}
    resolve: {"event_action": "resolve", "dedup_key": "INC-42"}

The incident's reference is the dedup_key, so every page about one incident
lands on one PagerDuty alert: an escalation re-triggers it (PagerDuty adds
a log entry and keeps one alert), and its resolution resolves it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from hotwash.notifications.events import EventType
from hotwash.notifications.models import Event

CLIENT = "Hotwash"
# PagerDuty's documented limits.
SUMMARY_LIMIT = 1024
DEDUP_KEY_LIMIT = 255

# Hotwash's severity levels as PagerDuty's four severities.
SEVERITIES = {1: "critical", 2: "error", 3: "warning", 4: "info"}

# The events that end the page. Every other event a rule sends here pages
# (declared, escalated, or whatever the rule's author chose), unless its
# incident is already over, when it resolves: a late status change must not
# open a new alert for an incident that is resolved.
RESOLVING_EVENTS = frozenset({EventType.INCIDENT_RESOLVED, EventType.INCIDENT_CLOSED})
OVER = frozenset({"resolved", "closed"})


class NotPageable(ValueError):
    """The event has nothing PagerDuty could page about."""


def action_for(event: Event) -> str:
    """ "trigger" or "resolve"."""
    incident = event.data.get("incident") or {}
    if event.type in RESOLVING_EVENTS or incident.get("status") in OVER:
        return "resolve"
    return "trigger"


def dedup_key(event: Event) -> str:
    """The incident's reference; for a policy firing or a proposal that has
    no incident yet, the proposal (so its later pages land on one alert) or
    the event itself."""
    incident = event.data.get("incident") or {}
    if incident.get("ref"):
        return str(incident["ref"])[:DEDUP_KEY_LIMIT]
    proposal = event.data.get("proposal") or {}
    if proposal.get("id") is not None:
        return f"hotwash-proposal-{proposal['id']}"
    return f"hotwash-event-{event.pk}"


def event_body(event: Event) -> dict[str, Any]:
    """The Events API v2 body for `event`, routing key left out."""
    action = action_for(event)
    body: dict[str, Any] = {"event_action": action, "dedup_key": dedup_key(event)}
    if action == "resolve":
        return body
    incident = event.data.get("incident") or {}
    url = str(incident.get("url") or "")
    services = [str(name) for name in incident.get("services") or []]
    teams = [str(slug) for slug in incident.get("teams") or []]
    payload: dict[str, Any] = {
        "summary": _summary(event, incident)[:SUMMARY_LIMIT],
        "source": _source(url, services),
        "severity": SEVERITIES.get(_int(incident.get("severity")), "critical"),
        "timestamp": event.occurred_at.isoformat(),
        "class": event.type,
        "custom_details": _details(event, incident),
    }
    if services:
        payload["component"] = ", ".join(services)
    if teams:
        payload["group"] = ", ".join(teams)
    body["payload"] = payload
    body["client"] = CLIENT
    if url:
        body["client_url"] = url
        body["links"] = [{"href": url, "text": f"{incident.get('ref')} in Hotwash"}]
    return body


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _summary(event: Event, incident: dict[str, Any]) -> str:
    if incident.get("ref"):
        severity = _int(incident.get("severity"))
        label = f"SEV{severity} " if severity else ""
        return f"{label}{incident['ref']}: {incident.get('title') or ''}".strip()
    proposal = event.data.get("proposal") or {}
    if proposal.get("title"):
        return f"Proposed incident: {proposal['title']}"
    policy = event.data.get("policy")
    if policy:
        return f"Trigger policy {policy} fired"
    raise NotPageable(f"A {event.type} event has no incident to page about.")


def _source(url: str, services: list[str]) -> str:
    """PagerDuty wants "the unique location of the affected system": the
    incident's services, or else this Hotwash's host name."""
    if services:
        return ", ".join(services)
    return urlsplit(url).hostname or CLIENT


def _details(event: Event, incident: dict[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {"event": event.type}
    if incident:
        severity = _int(incident.get("severity"))
        details |= {
            "incident": incident.get("ref"),
            "title": incident.get("title"),
            "severity": f"SEV{severity}" if severity else None,
            "status": incident.get("status"),
            "services": incident.get("services") or [],
            "teams": incident.get("teams") or [],
            "commander": incident.get("commander"),
            "declared_at": incident.get("declared_at"),
        }
        if incident.get("summary"):
            details["summary"] = incident["summary"]
    if event.data.get("actor"):
        details["by"] = event.data["actor"]
    change = event.data.get("change")
    if isinstance(change, dict) and "from" in change and "to" in change:
        details["change"] = {"from": change["from"], "to": change["to"]}
    for key in ("policy", "trigger", "action"):
        if event.data.get(key):
            details[key] = event.data[key]
    return details

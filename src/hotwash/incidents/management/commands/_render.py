"""Human-readable output for the incident commands, built from API JSON
with the shared building blocks of `hotwash.core.client_render` (read
defensively: a missing field is left out rather than crashing)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.core.choices import choice_label
from hotwash.core.client_render import Clock, columns, parse_time, person
from hotwash.core.refs import ref_number
from hotwash.incidents.display import format_duration, role_in_sentence
from hotwash.incidents.models import (
    ENDED_STATUSES,
    REF_PREFIX,
    DetectionSource,
    IncidentRole,
    Severity,
    Status,
)

LATEST_ENTRIES = 5


def normalise_ref(ref: str) -> str:
    """INC-42 for "42", "inc-42" or "INC-42"; anything else unchanged (the
    API explains what is wrong with it)."""
    number = ref_number(ref, REF_PREFIX)
    return f"{REF_PREFIX}{number}" if number is not None else ref.strip()


def status_label(value: Any) -> str:
    return choice_label(Status, value)


def severity_label(value: Any) -> str:
    return choice_label(Severity, value)


def role_label(value: Any) -> str:
    return choice_label(IncidentRole, value)


def time_since(clock: Clock, value: datetime) -> str:
    """How long ago `value` was, as people say it ("28 min")."""
    return format_duration(clock.now - value)


def chronological(entries: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    def key(entry: Mapping[str, Any]) -> tuple[datetime, int]:
        when = parse_time(entry.get("occurred_at")) or datetime.min.replace(tzinfo=UTC)
        number = entry.get("id")
        return when, number if isinstance(number, int) else 0

    return sorted(entries, key=key)


def entry_line(entry: Mapping[str, Any], clock: Clock) -> str:
    when = parse_time(entry.get("occurred_at"))
    text = str(entry.get("text") or entry.get("body") or "").replace("\n", " ")
    marker = "*" if entry.get("key_moment") else " "
    stamp = clock.short(when) if when else "?"
    return f"{marker} {stamp}  {person(entry.get('author'))}: {text}"


# --- one renderer per command -------------------------------------------------


def declared(incident: Mapping[str, Any], base_url: str) -> str:
    headline = _("Declared %(ref)s (%(severity)s, %(status)s): %(title)s") % {
        "ref": incident.get("id", "?"),
        "severity": severity_label(incident.get("severity")),
        "status": status_label(incident.get("status")).lower(),
        "title": incident.get("title", ""),
    }
    url = str(incident.get("url") or "")
    if url.startswith("/"):
        url = base_url + url
    return f"{headline}\n{url}" if url else headline


def noted(ref: str, entry: Mapping[str, Any], clock: Clock) -> str:
    when = parse_time(entry.get("occurred_at"))
    values = {"ref": ref, "time": clock.time(when) if when else "?"}
    if entry.get("kind") == "decision":
        line = _("Added a decision to %(ref)s at %(time)s.") % values
    else:
        line = _("Added a note to %(ref)s at %(time)s.") % values
    if entry.get("key_moment"):
        line += " " + _("It is marked as a key moment.")
    return line


def status_changed(incident: Mapping[str, Any]) -> str:
    return _("%(ref)s is now %(status)s.") % {
        "ref": incident.get("id", "?"),
        "status": status_label(incident.get("status")).lower(),
    }


def severity_changed(incident: Mapping[str, Any]) -> str:
    name = incident.get("severity_name")
    values = {"ref": incident.get("id", "?"), "severity": severity_label(incident.get("severity"))}
    if name:
        return _("%(ref)s is now %(severity)s (%(name)s).") % {**values, "name": name}
    return _("%(ref)s is now %(severity)s.") % values


def merged(duplicate: str, survivor: Mapping[str, Any]) -> str:
    return _("%(duplicate)s is merged into %(survivor)s: %(title)s.") % {
        "duplicate": duplicate,
        "survivor": survivor.get("id", "?"),
        "title": survivor.get("title", ""),
    }


def linked(ref: str, link: Mapping[str, Any]) -> str:
    """The link as the incident's page reads it: "INC-43: Caused by INC-41
    (Card payments failing)"."""
    return _("%(ref)s: %(link)s (%(title)s)") % {
        "ref": ref,
        "link": link.get("text", ""),
        "title": link.get("title", ""),
    }


def role_changed(ref: str, assignment: Mapping[str, Any]) -> str:
    """ "Amira Haddad is now incident commander of INC-42.": the person by
    name, the role as it reads mid-sentence (as the timeline says it)."""
    role = role_in_sentence(assignment.get("role"))
    if assignment.get("user"):
        return _("%(user)s is now %(role)s of %(ref)s.") % {
            "user": assignment.get("user_name") or person(assignment["user"]),
            "role": role,
            "ref": ref,
        }
    return _("%(ref)s has no %(role)s now.") % {"ref": ref, "role": role}


def incident_list(page: Mapping[str, Any], items: list[Mapping[str, Any]], clock: Clock) -> str:
    if not items:
        return _("No incidents match.")
    rows = []
    for item in items:
        declared_at = parse_time(item.get("declared_at"))
        rows.append(
            [
                str(item.get("id", "?")),
                severity_label(item.get("severity")),
                status_label(item.get("status")),
                time_since(clock, declared_at) if declared_at else "",
                ("[" + _("private") + "] " if item.get("private") else "")
                + str(item.get("title", "")),
            ]
        )
    headers = [_("Incident"), _("Severity"), _("Status"), _("Age"), _("Title")]
    output = "\n".join(columns([headers, *rows]))
    count = page.get("count")
    if isinstance(count, int) and count > len(items):
        output += "\n" + ngettext(
            "Showing %(shown)d of %(count)d incident; use --limit for more.",
            "Showing %(shown)d of %(count)d incidents; use --limit for more.",
            count,
        ) % {
            "shown": len(items),
            "count": count,
        }
    return output


def _status_since(catchup: Mapping[str, Any]) -> datetime | None:
    """When the incident entered its current status: the API's own figure
    if it sends one, else the last status change among the key moments."""
    if explicit := parse_time(catchup.get("status_since")):
        return explicit
    changes = [
        parse_time(entry.get("occurred_at"))
        for entry in [*(catchup.get("key_moments") or []), *(catchup.get("latest") or [])]
        if entry.get("kind") in ("status", "declared")
    ]
    known = [when for when in changes if when is not None]
    return max(known) if known else parse_time(catchup.get("declared_at"))


def _headline(data: Mapping[str, Any], clock: Clock) -> list[str]:
    title = f"{data.get('id', '?')}  {data.get('title', '')}"
    if data.get("private"):
        title += "  [" + _("private") + "]"
    severity = severity_label(data.get("severity"))
    if data.get("severity_name"):
        severity = f"{severity} ({data['severity_name']})"
    status = status_label(data.get("status")).lower()
    since = _status_since(data)
    if since is not None:
        state = _("%(severity)s, %(status)s for %(duration)s") % {
            "severity": severity,
            "status": status,
            "duration": time_since(clock, since),
        }
    else:
        state = f"{severity}, {status}"
    return [title, state]


def _impact_lines(data: Mapping[str, Any], clock: Clock, *, with_summary: bool) -> list[str]:
    lines = []
    started = parse_time(data.get("impact_started_at"))
    if started is not None:
        seconds = data.get("impact_seconds")
        if isinstance(seconds, int):
            duration = format_duration(timedelta(seconds=seconds))
        else:
            duration = time_since(clock, started)
        values = {"duration": duration, "time": clock.time(started)}
        if data.get("status") in ENDED_STATUSES:
            lines.append(_("Impact lasted %(duration)s, from %(time)s.") % values)
        else:
            lines.append(_("Impact began %(duration)s ago, at %(time)s.") % values)
    impact = str(data.get("impact") or "").strip()
    lines.append(_("Impact: %(impact)s") % {"impact": impact or _("(not written yet)")})
    summary = str(data.get("summary") or "").strip()
    if with_summary and summary:
        lines.append(_("Summary: %(summary)s") % {"summary": summary})
    return lines


def _roles_lines(roles: Mapping[str, Any]) -> list[str]:
    if not roles:
        return []
    rows = [
        [role_label(role), person(holder) if holder else _("(vacant)")]
        for role, holder in _in_role_order(roles)
    ]
    return ["", _("Roles"), *("  " + line for line in columns(rows))]


def _in_role_order(roles: Mapping[str, Any]) -> list[tuple[str, Any]]:
    order = {role: index for index, role in enumerate(IncidentRole.values)}
    return sorted(roles.items(), key=lambda item: order.get(item[0], len(order)))


def _entries_section(title: str, entries: list[Mapping[str, Any]], clock: Clock) -> list[str]:
    if not entries:
        return ["", title, "  " + _("(none)")]
    return ["", title, *(" " + entry_line(entry, clock) for entry in entries)]


def _task_line(task: Mapping[str, Any]) -> str:
    assignee = task.get("assignee")
    title = str(task.get("title", ""))
    if assignee:
        return "  - " + _("%(title)s (%(assignee)s)") % {
            "title": title,
            "assignee": person(assignee),
        }
    return f"  - {title}"


def catchup(data: Mapping[str, Any], clock: Clock) -> str:
    # The catch-up's own "summary" is a paragraph version of all this, so
    # it is left out here.
    lines = [*_headline(data, clock), *_impact_lines(data, clock, with_summary=False)]
    lines += _roles_lines(data.get("roles") or {})
    lines += _entries_section(_("Key moments"), list(data.get("key_moments") or []), clock)
    latest = chronological(data.get("latest") or [])
    lines += _entries_section(_("Latest updates"), latest[-LATEST_ENTRIES:], clock)
    tasks = list(data.get("open_tasks") or [])
    lines += ["", _("Open tasks")]
    lines += [_task_line(task) for task in tasks] or ["  " + _("(none)")]
    return "\n".join(lines)


def incident_detail(
    incident: Mapping[str, Any], entries: list[Mapping[str, Any]], clock: Clock
) -> str:
    lines = [*_headline(incident, clock), *_impact_lines(incident, clock, with_summary=True)]
    facts = []
    services = incident.get("services") or []
    if services:
        names = [person(service) for service in services]
        facts.append([_("Services affected"), ", ".join(names)])
    if incident.get("type_name") or incident.get("type"):
        facts.append([_("Type"), str(incident.get("type_name") or incident.get("type"))])
    for field in incident.get("field_details") or []:
        if field.get("value") is not None:
            facts.append([str(field.get("name") or field.get("key")), str(field.get("text") or "")])
    if incident.get("detection_source"):
        facts.append([_("Detection"), choice_label(DetectionSource, incident["detection_source"])])
    for key, label in (
        ("detected_at", _("Detected")),
        ("declared_at", _("Declared")),
        ("acknowledged_at", _("Acknowledged")),
        ("mitigated_at", _("Mitigated")),
        ("resolved_at", _("Resolved")),
        ("closed_at", _("Closed")),
    ):
        if when := parse_time(incident.get(key)):
            facts.append([label, clock.time(when)])
    if facts:
        lines += ["", *("  " + line for line in columns(facts))]
    lines += _roles_lines(incident.get("roles") or {})
    lines += _entries_section(_("Timeline (latest entries)"), entries, clock)
    if url := incident.get("url"):
        lines += ["", str(url)]
    return "\n".join(lines)

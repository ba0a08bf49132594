"""The catch-up call: where an incident stands, for someone joining now, as
data and as a short paragraph built from that data."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.incidents import present
from hotwash.incidents.display import describe_event, format_duration, format_time
from hotwash.incidents.models import IncidentRole, Severity, Status
from hotwash.incidents.queries import Catchup


def catchup_data(presenter: present.Presenter, catchup: Catchup) -> dict[str, Any]:
    incident = catchup.incident
    return {
        "id": incident.ref,
        "number": incident.pk,
        "title": incident.title,
        "url": presenter.incident_url(incident),
        "private": incident.private,
        "status": incident.status,
        "status_name": present.label(Status, incident.status),
        "status_since": present.local(catchup.now - catchup.status_duration),
        "for_seconds": int(catchup.status_duration.total_seconds()),
        **present.severity(incident.severity),
        "impact_started_at": present.local(catchup.impact_since),
        "impact_seconds": int(catchup.impact_duration.total_seconds()),
        "impact": incident.impact,
        "roles": {role: present.username(user) for role, user in catchup.roles.items()},
        "key_moments": [present.entry(event) for event in catchup.key_moments],
        "latest": [present.entry(event) for event in catchup.latest],
        "open_tasks": [present.task(task) for task in catchup.open_tasks],
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
            "severity": present.label(Severity, incident.severity),
            "severity_name": present.severity(incident.severity)["severity_name"],
            "status": present.label(Status, incident.status),
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
        sentences = [_("%(user)s is the incident commander.") % {"user": commander.get_username()}]
    else:
        sentences = [_("Nobody is the incident commander yet.")]
    others = [
        _("%(role)s: %(user)s")
        % {"role": present.label(IncidentRole, role), "user": user.get_username()}
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

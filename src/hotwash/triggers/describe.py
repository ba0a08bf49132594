"""Sentences for what the triggers wrote, in the reader's language.

Timeline entries (alerts, trigger firings, change events) and firings store
structured data; these functions turn it into text at display time, with no
query per entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from hotwash.core.choices import choice_label
from hotwash.incidents.display import named, person_name
from hotwash.incidents.models import Severity, TimelineEvent
from hotwash.triggers.durations import exact_duration
from hotwash.triggers.models import (
    WITHDRAWN_DETECTED_BY_ALERT,
    Action,
    ChangeKind,
    Mode,
    PolicyFiring,
    ProposalKind,
    Trigger,
    add_detection_title,
)
from hotwash.triggers.policy import (
    AlertPolicy,
    DowntimePolicy,
    InterventionPolicy,
    RegexMatch,
    ResolutionTimePolicy,
)


def _severity(value: Any) -> str:
    return choice_label(Severity, value)


def _duration(seconds: Any) -> str:
    return exact_duration(int(seconds or 0))


def _labels(labels: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


# --- alerts -------------------------------------------------------------------


def describe_alert(event: TimelineEvent) -> str:
    data = event.data or {}
    kind = data.get("event")
    values = {"alert": data.get("alertname", ""), "labels": _labels(data.get("labels") or {})}
    if kind == "more":
        firing, resolved = int(data.get("firing") or 0), int(data.get("resolved") or 0)
        lines = []
        if firing:
            lines.append(
                ngettext(
                    "%(count)d more alert is firing in this group (%(names)s).",
                    "%(count)d more alerts are firing in this group (%(names)s).",
                    firing,
                )
                % {"count": firing, "names": ", ".join(data.get("alertnames") or [])}
            )
        if resolved:
            lines.append(
                ngettext(
                    "%(count)d more alert resolved.", "%(count)d more alerts resolved.", resolved
                )
                % {"count": resolved}
            )
        if data.get("muted"):
            lines.append(
                _(
                    "This incident's timeline has had a lot of alert activity; further alerts "
                    "are kept with their alert group, not written here."
                )
            )
        return "\n".join(lines)
    if kind == "group_resolved":
        lines = [
            _("Every alert of the group %(group)s has resolved.")
            % {"group": _labels(data.get("labels") or {}) or data.get("group_key", "")}
        ]
        then = data.get("then")
        if then == "monitoring":
            lines.append(_("As its policy says, the incident moves to monitoring."))
        elif then == "resolved":
            lines.append(_("As its policy says, the incident is resolved."))
        else:
            lines.append(_("The incident stays open until a responder resolves it."))
        return "\n".join(lines)
    if kind == "resolved":
        first = _("Alert resolved: %(alert)s (%(labels)s).") % values
    elif kind == "refired":
        first = _("Alert firing again: %(alert)s (%(labels)s).") % values
    elif kind == "firing":
        first = _("Alert firing: %(alert)s (%(labels)s).") % values
    else:
        return event.body
    lines = [first.replace(" ().", ".")]
    if data.get("summary"):
        lines.append(str(data["summary"]))
    if data.get("url"):
        lines.append(_("Source: %(url)s") % {"url": data["url"]})
    return "\n".join(lines)


# --- changes ------------------------------------------------------------------


def describe_change(event: TimelineEvent) -> str:
    data = event.data or {}
    values = {
        "service": data.get("service", ""),
        "version": data.get("version", ""),
        "who": named(data, "by") or "Hotwash",
    }
    kind = data.get("kind")
    if kind == ChangeKind.ROLLBACK:
        first = (
            _("Rollback of %(service)s to %(version)s, recorded by %(who)s.")
            if values["version"]
            else _("Rollback of %(service)s, recorded by %(who)s.")
        )
    elif kind == ChangeKind.REROUTE:
        first = _("Traffic rerouted for %(service)s, recorded by %(who)s.")
    elif values["version"]:
        first = _("Deploy of %(service)s %(version)s, recorded by %(who)s.")
    else:
        first = _("Deploy of %(service)s, recorded by %(who)s.")
    lines = [first % values]
    if data.get("description"):
        lines.append(str(data["description"]))
    if data.get("url"):
        lines.append(str(data["url"]))
    return "\n".join(lines)


# --- firings ------------------------------------------------------------------


def proposal_title(data: Mapping[str, Any]) -> str:
    """A proposal's title from an entry's or a firing's data, in the active
    language (as Proposal.display_title)."""
    subject = data.get("proposal_subject")
    if data.get("proposal_kind") == ProposalKind.ADD_DETECTION and isinstance(subject, str):
        return add_detection_title(subject)
    return str(data.get("proposal_title") or "")


def action_sentence(data: Mapping[str, Any]) -> str:
    """What a firing did, as one sentence (from a firing's or a timeline
    entry's data)."""
    values = {
        "policy": data.get("policy", ""),
        "trigger": choice_label(Trigger, data.get("trigger")),
        "from": _severity(data.get("from")),
        "to": _severity(data.get("to")),
        "title": proposal_title(data),
    }
    action = data.get("action")
    if action == Action.DECLARED:
        return _("Trigger policy %(policy)s (%(trigger)s) declared this incident.") % values
    if action == Action.JOINED:
        return _("Trigger policy %(policy)s (%(trigger)s) fired for this incident.") % values
    if action == Action.ESCALATED:
        if data.get("from") != data.get("to"):
            return (
                _(
                    "Trigger policy %(policy)s (%(trigger)s) raised the severity from "
                    "%(from)s to %(to)s."
                )
                % values
            )
        return (
            _(
                "Trigger policy %(policy)s (%(trigger)s) fired: this incident is already at "
                "the highest severity, %(to)s."
            )
            % values
        )
    if action == Action.PROPOSED:
        kind = data.get("proposal_kind")
        if kind == ProposalKind.ADD_DETECTION:
            return (
                _(
                    "No alert saw this incident: trigger policy %(policy)s proposes the "
                    "action item “%(title)s”."
                )
                % values
            )
        if kind == ProposalKind.ESCALATE:
            return (
                _(
                    "Trigger policy %(policy)s (%(trigger)s) proposes raising the severity to %(to)s."
                )
                % values
            )
        return _("Trigger policy %(policy)s (%(trigger)s) proposes declaring an incident.") % values
    return _("Trigger policy %(policy)s (%(trigger)s) fired and notified people.") % values


def cause_sentence(data: Mapping[str, Any]) -> str:
    """Why it fired, when the data says."""
    trigger = data.get("trigger")
    count = int(data.get("alert_count") or 0)
    names = ", ".join(data.get("alertnames") or [])
    threshold = int(data.get("threshold") or 0)
    if trigger == Trigger.RESOLUTION_TIME and count:
        return _("The alerts have been firing for longer than %(threshold)s.") % {
            "threshold": _duration(threshold)
        }
    if trigger == Trigger.RESOLUTION_TIME:
        return _("Still open after more than %(threshold)s at this severity.") % {
            "threshold": _duration(threshold)
        }
    if trigger == Trigger.MONITORING_FAILURE:
        return _("No sign of life from the heartbeat %(name)s for more than %(threshold)s.") % {
            "name": data.get("heartbeat", ""),
            "threshold": _duration(threshold),
        }
    if trigger == Trigger.ON_CALL_INTERVENTION:
        return _("The change: %(kind)s, %(service)s.") % {
            "kind": choice_label(ChangeKind, data.get("change_kind")),
            "service": data.get("service", ""),
        }
    if count and threshold:
        return ngettext(
            "%(count)d alert firing for longer than %(threshold)s: %(names)s.",
            "%(count)d alerts firing for longer than %(threshold)s: %(names)s.",
            count,
        ) % {"count": count, "threshold": _duration(threshold), "names": names}
    if count:
        return ngettext("%(count)d alert: %(names)s.", "%(count)d alerts: %(names)s.", count) % {
            "count": count,
            "names": names,
        }
    return ""


def describe_trigger(event: TimelineEvent) -> str:
    data = event.data or {}
    kind = data.get("event")
    if kind in ("proposal_accepted", "proposal_dismissed"):
        values = {
            "who": person_name(event.author) if event.author else "Hotwash",
            "title": proposal_title(data),
            "policy": data.get("policy", ""),
        }
        if kind == "proposal_accepted":
            line = (
                _("%(who)s accepted the proposal of trigger policy %(policy)s: %(title)s") % values
            )
            result = data.get("result") or {}
            if result.get("ref"):
                line += "\n" + _("Action item %(ref)s created.") % {"ref": result["ref"]}
            return line
        if (data.get("result") or {}).get("withdrawn") == WITHDRAWN_DETECTED_BY_ALERT:
            return "\n".join(
                [
                    _("Hotwash withdrew the proposal of trigger policy %(policy)s: %(title)s")
                    % values,
                    _("Detection was recorded as an alert: the monitoring saw this incident."),
                ]
            )
        line = _("%(who)s dismissed the proposal of trigger policy %(policy)s: %(title)s") % values
        if data.get("reason"):
            line += "\n" + _("Reason: %(reason)s") % {"reason": data["reason"]}
        return line
    if kind == "heartbeat_recovered":
        return _("The heartbeat %(name)s is alive again, after %(duration)s of silence.") % {
            "name": data.get("heartbeat", ""),
            "duration": _duration(data.get("silent_seconds")),
        }
    lines = [action_sentence(data), cause_sentence(data)]
    return "\n".join(line for line in lines if line)


def firing_data(firing: PolicyFiring) -> dict[str, Any]:
    """A firing as the data the sentences above read."""
    proposal = getattr(firing, "proposal", None)
    names = sorted({a.get("alertname", "") for a in firing.alerts if a.get("alertname")})
    return {
        **firing.details,
        "policy": firing.policy_id,
        "trigger": firing.trigger,
        "mode": firing.mode,
        "action": firing.action,
        "alert_count": firing.alert_count,
        "alertnames": names[:5],
        "proposal_kind": proposal.kind if proposal else None,
        "proposal_title": proposal.title if proposal else "",
        "proposal_subject": proposal.details.get("subject") if proposal else None,
    }


def describe_firing(firing: PolicyFiring) -> str:
    data = firing_data(firing)
    return "\n".join(line for line in (action_sentence(data), cause_sentence(data)) if line)


def mode_label(value: str) -> str:
    return choice_label(Mode, value)


# --- policies -----------------------------------------------------------------

# The descriptions of the shipped policies (defaults.yaml), marked here so the
# catalogue has them; a test checks every one in the file is listed. A
# description the organisation wrote is its own words, shown as written.
SHIPPED_DESCRIPTIONS = frozenset(
    {
        gettext_noop("A critical alert opens an incident at once."),
        gettext_noop("A warning still firing after 15 minutes opens a minor incident."),
        gettext_noop(
            "An alert labelled as data loss opens a private incident at once, SEV2 or "
            "higher, that needs a full postmortem."
        ),
        gettext_noop(
            "A rollback or a traffic reroute proposes an incident to the person who recorded it."
        ),
        gettext_noop(
            "An incident open too long for its severity is escalated one level; an alert "
            "firing for a day with no incident opens one."
        ),
        gettext_noop("A heartbeat that falls silent opens an incident."),
        gettext_noop(
            "An incident a person declared that no alert saw proposes an action item to "
            "add detection."
        ),
    }
)


def _selector(match: Mapping[str, Any]) -> str:
    """`severity=critical|page, alertname=~Shop.*`."""
    parts = []
    for name, value in match.items():
        if isinstance(value, RegexMatch):
            parts.append(f"{name}=~{value.regex}")
        elif isinstance(value, list):
            parts.append(f"{name}={'|'.join(value)}")
        else:
            parts.append(f"{name}={value}")
    return ", ".join(parts)


def generated_description(policy: Any) -> str:
    """What a policy without a description of its own acts on, from the
    fields in force, in the reader's language."""
    if isinstance(policy, AlertPolicy):
        values = {"match": _selector(policy.match)}
        if policy.trigger == Trigger.DATA_LOSS:
            return _("Data loss: an alert with %(match)s, at once.") % values
        wait = policy.firing_for if isinstance(policy, DowntimePolicy) else None
        if wait:
            return _("An alert with %(match)s still firing after %(duration)s.") % {
                **values,
                "duration": exact_duration(wait),
            }
        return _("An alert with %(match)s, at once.") % values
    if isinstance(policy, InterventionPolicy):
        values = {
            "kinds": ", ".join(choice_label(ChangeKind, kind) for kind in policy.kinds),
            "services": ", ".join(policy.services),
        }
        if policy.services:
            return _("A change (%(kinds)s) of %(services)s.") % values
        return _("A change (%(kinds)s) of any service.") % values
    if isinstance(policy, ResolutionTimePolicy):
        thresholds = ", ".join(
            _("%(severity)s after %(duration)s")
            % {"severity": _severity(level), "duration": exact_duration(threshold)}
            for level, threshold in sorted(policy.thresholds.items())
        )
        if thresholds:
            return _("An incident still open: %(thresholds)s.") % {"thresholds": thresholds}
        return _("An alert firing for a long time with no incident.")
    if policy.trigger == Trigger.MONITORING_FAILURE:
        return _("A heartbeat with no sign of life past its period and grace.")
    if policy.trigger == Trigger.DETECTION_GAP:
        return _("An incident a person declared that no alert saw.")
    return ""


def policy_description(policy: Any) -> str:
    """A policy's description for people: a shipped one in the reader's
    language, the organisation's as written, otherwise generated."""
    text = str(policy.description or "").strip()
    if text in SHIPPED_DESCRIPTIONS:
        return _(text)
    return text or generated_description(policy)

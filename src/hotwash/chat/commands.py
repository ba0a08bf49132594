"""The `/incident` commands, for every chat platform.

A platform turns what it received into text and an actor (`run`'s
arguments), and what `run` answers into its own reply (an ephemeral Slack
message, a Teams reply, a modal or card when `Reply.form` asks for one).
The commands call the same service functions as the web, the API and the
CLI, so permissions, validation, the timeline and the audit trail are the
same whichever front end was used.

    declare [title]        no title: the platform opens its declare form
    status <status>        in an incident's conversation
    severity <1-4>
    role <role> <person>   the platform resolves the person (@mention)
    note <text>
    catchup                answered to the asker only
    update                 the platform opens the stakeholder update form
    resolve
    help
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext as _

from hotwash.chat.models import ChatConversation
from hotwash.chat.services import declare_from_chat
from hotwash.core.errors import DomainError
from hotwash.incidents.display import describe_event, format_duration, severity_name
from hotwash.incidents.models import Incident, IncidentRole, Status
from hotwash.incidents.queries import build_catchup, can_view
from hotwash.incidents.services import (
    add_timeline_event,
    assign_role,
    set_status,
    update_incident,
)
from hotwash.notifications.payloads import incident_url

# How a platform finds the account an argument names ("<@U123>", "@amira").
PersonResolver = Callable[[str], User | None]


@dataclass(frozen=True)
class Reply:
    """What to answer. `public`: everyone in the conversation sees it
    (otherwise only the asker). `personal`: meant for the asker alone, so a
    platform with no message only one person sees (Teams) sends it in a
    private chat rather than to the conversation. `form`: open this form
    instead ("declare", "update"). `opened`: the incident just declared (its
    conversation is requested and opens in the worker)."""

    text: str
    public: bool = False
    personal: bool = False
    form: str = ""
    opened: Incident | None = None


FORMS = ("declare", "update")

# Each command's names, in English and French.
HELP = ("", "help", "aide")
DECLARE = ("declare", "declarer", "déclarer")
STATUS = ("status", "statut")
SEVERITY = ("severity", "sev", "gravité", "gravite")
ROLE = ("role", "rôle")
NOTE = ("note",)
CATCHUP = ("catchup", "resume", "résumé")
UPDATE = ("update", "communiquer")
RESOLVE = ("resolve", "résoudre", "resoudre")
CHANGES = (*DECLARE, *STATUS, *SEVERITY, *ROLE, *NOTE, *RESOLVE)


def changes_something(text: str) -> bool:
    """Whether `text` is a command that writes (declares, changes, notes).
    The others only read or open a form, and are answered at once (a
    platform's form trigger expires within seconds); a platform may run
    these in its worker and answer later."""
    name, _space, rest = text.strip().partition(" ")
    name = name.lower()
    if name in DECLARE:
        return bool(rest.strip())  # without a title: the form
    return name in CHANGES


def run(
    text: str,
    *,
    platform: str,
    requester: str,
    actor: User | None,
    conversation: ChatConversation | None,
    resolve_person: PersonResolver,
    language: str,
    link_account_url: str = "",
    service_url: str = "",
) -> Reply:
    """Run one `/incident ...` command and say what to answer, in `language`.
    `requester` is the asker's id on `platform` (invited first to a new
    incident's conversation); `service_url`, where the platform takes
    requests about a new incident's conversation (Teams)."""
    with translation.override(language):
        if actor is None:
            return Reply(_unknown_person(link_account_url))
        name, _space, rest = text.strip().partition(" ")
        name = name.lower()
        rest = rest.strip()
        try:
            if name in HELP:
                return Reply(usage())
            if name in DECLARE:
                return _declare(rest, actor, platform, requester, language, service_url)
            if conversation is None:
                return Reply(
                    _("Use this command in an incident's channel, or start with: %(usage)s")
                    % {"usage": "/incident declare <title>"}
                )
            incident = Incident.objects.get(pk=conversation.incident_id)
            if not can_view(actor, incident):
                return Reply(_("You cannot see this incident."))
            return _in_conversation(name, rest, actor, incident, resolve_person)
        except DomainError as error:
            return Reply(str(error))


def usage() -> str:
    lines = [
        _("Commands:"),
        "/incident declare [title] — " + _("declare an incident (a form without a title)"),
        "/incident status <status> — " + _("change the status"),
        "/incident severity <1-4> — " + _("change the severity"),
        "/incident role <role> <@person> — " + _("give a role"),
        "/incident note <text> — " + _("add a note to the timeline"),
        "/incident catchup — " + _("where things stand, for you only"),
        "/incident update — " + _("write a stakeholder update"),
        "/incident resolve — " + _("resolve the incident"),
    ]
    return "\n".join(lines)


def unknown_person(link_account_url: str, language: str) -> str:
    """What someone Hotwash does not know is told, in `language`, wherever
    they acted (a command, a modal, a reaction)."""
    with translation.override(language):
        return _unknown_person(link_account_url)


def _unknown_person(link_account_url: str) -> str:
    message = _(
        "Hotwash does not know who you are here: no account has your verified email address."
    )
    if link_account_url:
        message += " " + _("Sign in and link your account: %(url)s") % {"url": link_account_url}
    return message


def _declare(
    title: str, actor: User, platform: str, requester: str, language: str, service_url: str
) -> Reply:
    if not title:
        return Reply("", form="declare")
    incident = declare_from_chat(
        actor=actor,
        platform=platform,
        requested_by=requester,
        language=language,
        title=title,
        service_url=service_url,
    )
    return Reply(
        declared_text(incident, actor, translation.get_language() or "en"),
        public=True,
        opened=incident,
    )


def declared_text(incident: Incident, actor: User, language: str) -> str:
    """What the conversation a declaration came from is told, in
    `language`. A private incident's title stays out of it: that
    conversation may hold people who cannot see the incident."""
    with translation.override(language):
        url = incident_url(incident.ref, language)
        if incident.private:
            return _("%(ref)s declared, private: %(url)s") % {"ref": incident.ref, "url": url}
        return _("%(ref)s declared by %(person)s: %(title)s %(url)s") % {
            "ref": incident.ref,
            "person": actor.get_full_name() or actor.get_username(),
            "title": incident.title,
            "url": url,
        }


def _in_conversation(
    name: str, rest: str, actor: User, incident: Incident, resolve_person: PersonResolver
) -> Reply:
    if name in STATUS:
        set_status(incident, actor=actor, status=status_value(rest))
        return Reply(_("Status changed."))
    if name in SEVERITY:
        update_incident(incident, actor=actor, changes={"severity": severity_value(rest)})
        return Reply(_("Severity changed."))
    if name in ROLE:
        role_text, _space, person_text = rest.partition(" ")
        person = resolve_person(person_text.strip()) if person_text.strip() else None
        if person is None:
            return Reply(
                _("Name the person with an @mention: %(usage)s")
                % {"usage": "/incident role commander @amira"}
            )
        assign_role(incident, actor=actor, role=role_value(role_text), user=person)
        return Reply(_("Role given."))
    if name in NOTE:
        add_timeline_event(incident, actor=actor, body=rest)
        return Reply(_("Added to the timeline."))
    if name in CATCHUP:
        return Reply(catchup_text(incident), personal=True)
    if name in UPDATE:
        return Reply("", form="update")
    if name in RESOLVE:
        set_status(incident, actor=actor, status=Status.RESOLVED)
        return Reply(_("Resolved."))
    return Reply(_("Unknown command “%(name)s”.") % {"name": name} + "\n" + usage())


def choice_named(text: str, choices: type[Status] | type[IncidentRole]) -> str:
    """The value a person means by `text`: a value ("monitoring"), a label in
    English or French ("Sous surveillance"), or one word of exactly one
    label ("surveillance", "commandant"). Anything else is returned as
    typed, for the service to refuse with its own message."""
    typed = " ".join(text.strip().lower().split())
    labels: dict[str, set[str]] = {}
    for value, label in choices.choices:
        names = labels.setdefault(value, {value.lower()})
        for language in ("en", "fr"):
            with translation.override(language):
                names.add(str(label).lower())
    exact = [value for value, names in labels.items() if typed in names]
    if exact:
        return exact[0]
    partial = [
        value
        for value, names in labels.items()
        if any(typed in name.replace("'", " ").split() for name in names)
    ]
    return partial[0] if len(partial) == 1 else text.strip()


def status_value(text: str) -> str:
    return choice_named(text, Status)


ROLE_SHORT_NAMES = {"ic": IncidentRole.COMMANDER, "comms": IncidentRole.COMMUNICATIONS}


def role_value(text: str) -> str:
    return ROLE_SHORT_NAMES.get(text.strip().lower()) or choice_named(text, IncidentRole)


def severity_value(text: str) -> str:
    return text.strip().lower().removeprefix("sev").strip()


def catchup_text(incident: Incident) -> str:
    """Where things stand, as a short plain-text message."""
    catchup = build_catchup(incident)
    lines = [
        f"{incident.ref} — {incident.title}",
        _("Status: %(status)s for %(duration)s · Severity: %(severity)s")
        % {
            "status": incident.get_status_display(),
            "duration": format_duration(catchup.status_duration),
            "severity": f"SEV{incident.severity} {severity_name(incident.severity)}",
        },
    ]
    for role, user in catchup.roles.items():
        if user is not None:
            lines.append(
                f"{IncidentRole(role).label}: {user.get_full_name() or user.get_username()}"
            )
    if incident.summary:
        lines.append(_("Summary: %(summary)s") % {"summary": incident.summary})
    if catchup.key_moments:
        lines.append(_("Key moments:"))
        lines += [f"• {describe_event(e)}" for e in catchup.key_moments[-5:]]
    if catchup.latest:
        lines.append(_("Latest:"))
        # Newest first in the catch-up; told in order here.
        lines += [f"• {describe_event(e)}" for e in reversed(catchup.latest[:5])]
    if catchup.open_tasks:
        lines.append(
            _("Open tasks: %(tasks)s") % {"tasks": ", ".join(t.title for t in catchup.open_tasks)}
        )
    lines.append(incident_url(incident.ref, translation.get_language() or "en"))
    return "\n".join(lines)

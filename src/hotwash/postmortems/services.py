"""Write-side functions for postmortems and retrospectives.

As for incidents, each function is one transaction that writes the change,
its audit record and, for a postmortem of an incident, the entry on that
incident's timeline. Web pages, the API, the CLI and the Markdown importer
all call these.

Every function that writes takes a keyword-only `now` (default: the current
time, read once) and stamps all it writes with it, audit record and timeline
entry included; the demo passes the moment its story says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotwash.accounts.permissions import can_respond, is_admin
from hotwash.blameless.engine import lint_markdown
from hotwash.blameless.people import organisation_names
from hotwash.core import text as core_text
from hotwash.core.audit import record_audit
from hotwash.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hotwash.core.validators import check_date
from hotwash.incidents.models import Incident, IncidentRole, RoleAssignment, TimelineKind
from hotwash.incidents.queries import can_view
from hotwash.incidents.services import (
    Actor,
    clean_services,
    find_user,
    record_system_event,
    services_named,
)
from hotwash.policies import incident_type, postmortem_rule
from hotwash.postmortems.hooks import hooks
from hotwash.postmortems.models import (
    ChecklistItem,
    Comment,
    Kind,
    Language,
    Postmortem,
    ReviewDecision,
    Reviewer,
    Section,
    Status,
)
from hotwash.postmortems.outlines import get_outline, load_outlines, outline_for_kind
from hotwash.postmortems.queries import is_shared_publicly
from hotwash.postmortems.signals import (
    postmortem_created,
    postmortem_status_changed,
    section_saved,
)

TITLE_MAX = 200
SECTION_MAX = 100_000
# Section.version is a PositiveIntegerField: at most 2**31 - 1 on PostgreSQL.
SECTION_VERSION_LIMIT = 2**31 - 1
COMMENT_MAX = 10_000
TAG_MAX = 50

# The review checklist from the organisation's guidance; reviewers tick each
# one before a postmortem can be approved.
CHECKLIST = (
    ("key_data", gettext_lazy("Key data is captured (times, numbers, graphs, links).")),
    ("impact", gettext_lazy("The impact assessment is complete.")),
    (
        "contributing_factors",
        gettext_lazy("Contributing factors are explored deeply enough, as circumstances."),
    ),
    ("action_items", gettext_lazy("Action items are appropriate, owned and dated.")),
    ("stakeholders", gettext_lazy("Stakeholders have been informed.")),
)
CHECKLIST_KEYS = tuple(key for key, _label in CHECKLIST)

# Which status each transition leads to, and from where.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "request_review": ((Status.DRAFT,), Status.IN_REVIEW),
    "withdraw": ((Status.IN_REVIEW,), Status.DRAFT),
    "approve": ((Status.IN_REVIEW,), Status.APPROVED),
    "publish": ((Status.APPROVED,), Status.PUBLISHED),
    "reopen": ((Status.APPROVED, Status.PUBLISHED), Status.DRAFT),
}


# --- who may do what ----------------------------------------------------------


def can_read(user: Actor, postmortem: Postmortem) -> bool:
    """The one-postmortem form of queries.readable_postmortems: a postmortem
    shared publicly is for anyone, unless its incident is private (the
    incident's privacy always wins)."""
    if user is None:
        return True
    if is_shared_publicly(postmortem):
        return True
    if not user.is_authenticated:
        return False
    if postmortem.incident_id is None:
        return True
    assert postmortem.incident is not None
    return can_view(user, postmortem.incident)


def can_edit(user: Actor, postmortem: Postmortem) -> bool:
    """Responders, admins, the owner and named authors can write."""
    if user is None:
        return True
    if not user.is_authenticated or not can_read(user, postmortem):
        return False
    if can_respond(user) or postmortem.owner_id == user.pk:
        return True
    return postmortem.authors.filter(pk=user.pk).exists()


def _require_read(actor: Actor, postmortem: Postmortem) -> None:
    if not can_read(actor, postmortem):
        raise NotFound(_("No postmortem %(ref)s.") % {"ref": postmortem.ref})


def _require_edit(actor: Actor, postmortem: Postmortem) -> None:
    _require_read(actor, postmortem)
    if not can_edit(actor, postmortem):
        raise PermissionDenied(
            _("Only responders, admins and its authors can change a postmortem.")
        )


def _person(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


# Whole sentences per role, so each language can say them its own way.
CANNOT_SEE_INCIDENT = {
    "owner": gettext_lazy(
        "%(username)s cannot see private incident %(ref)s; add them to the incident before "
        "making them its postmortem's owner."
    ),
    "authors": gettext_lazy(
        "%(username)s cannot see private incident %(ref)s; add them to the incident before "
        "making them an author of its postmortem."
    ),
    "reviewers": gettext_lazy(
        "%(username)s cannot see private incident %(ref)s; add them to the incident before "
        "naming them a reviewer of its postmortem."
    ),
}


def check_can_see_incident(
    incident: Incident | None, people: Iterable[User | None], field: str
) -> None:
    """Nobody is given a postmortem (as owner, author or reviewer) of an
    incident they cannot see, whose reminders and digests would then carry
    it to them; the rule is the incident's own (`can_view`), as for the
    owner of an action item."""
    if incident is None:
        return
    for person in people:
        if person is not None and not can_view(person, incident):
            raise InvalidInput(
                CANNOT_SEE_INCIDENT[field]
                % {"username": person.get_username(), "ref": incident.ref},
                field=field,
            )


def _lock_incident(postmortem: Postmortem) -> Incident | None:
    """Lock the postmortem's incident (re-read) before the postmortem itself.
    An incident change reaches its postmortem (incident_updated) with the
    incident locked, so taking the two in the same order never deadlocks, and
    what is checked here of the incident (privacy) holds until the commit."""
    if postmortem.incident_id is None:
        return None
    return Incident.objects.select_for_update().get(pk=postmortem.incident_id)


def _locked(postmortem: Postmortem) -> Postmortem:
    """The postmortem re-read and locked, its incident locked first."""
    incident = _lock_incident(postmortem)
    locked = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
    locked.incident = incident
    return locked


# --- validation ---------------------------------------------------------------


def clean_title(value: object) -> str:
    # On one line: a title is a heading in the Markdown export.
    return core_text.clean_title(
        value,
        limit=TITLE_MAX,
        missing=_("Give the postmortem a title."),
        too_long=_("The title is too long; the limit is %(limit)s characters."),
        fold=True,
    )


def clean_language(value: object, field: str = "language") -> str:
    return core_text.clean_choice(
        value, Language, field=field, message=_("Unknown language %(value)s: use en or fr.")
    )


def clean_kind(value: object) -> str:
    return core_text.clean_choice(
        value,
        Kind,
        field="kind",
        message=_("Unknown kind %(value)s: use incident, success or project."),
    )


def clean_template(value: object, kind: str) -> str:
    key = str(value or "").strip()
    outlines = load_outlines()
    if key not in outlines:
        raise InvalidInput(
            _("Unknown template %(value)s; known templates: %(known)s.")
            % {"value": value, "known": ", ".join(sorted(outlines))},
            field="template",
        )
    if kind not in outlines[key].kinds:
        raise InvalidInput(
            _("The template %(template)s is not meant for this kind of postmortem.")
            % {"template": key},
            field="template",
        )
    return key


def clean_tags(value: object) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, Iterable):
        raise InvalidInput(_("Tags are a list of words."), field="tags")
    tags: list[str] = []
    for raw in value:
        tag = core_text.one_line(str(raw))
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise InvalidInput(
                _("The tag %(tag)s is too long; the limit is %(limit)s characters.")
                % {"tag": tag[:20], "limit": TAG_MAX},
                field="tags",
            )
        if tag not in tags:
            tags.append(tag)
    return tags


def clean_date(value: object, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return check_date(value.date(), field)
    if isinstance(value, date):
        return check_date(value, field)
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(
            _("%(value)s is not a date; use YYYY-MM-DD.") % {"value": value}, field=field
        ) from None
    return check_date(day, field)  # bad input (issue 9): the range every date keeps to


def clean_owner(value: object, field: str = "owner") -> User | None:
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    return find_user(str(value).strip(), field)


# --- timeline -------------------------------------------------------------------


def record_on_timeline(
    postmortem: Postmortem, event: str, *, actor: Actor, now: datetime, **extra: Any
) -> None:
    """Every postmortem event worth knowing about lands on its incident's
    timeline, where latecomers and reviewers look."""
    if postmortem.incident_id is None:
        return
    assert postmortem.incident is not None
    record_system_event(
        postmortem.incident,
        kind=TimelineKind.POSTMORTEM,
        actor=actor,
        now=now,
        data={"event": event, "postmortem": postmortem.pk, "title": postmortem.title, **extra},
        key_moment=event in ("published",),
    )


# --- creating -------------------------------------------------------------------


def _current_commander(incident: Incident) -> User | None:
    assignment = (
        RoleAssignment.objects.filter(
            incident=incident, role=IncidentRole.COMMANDER, ended_at__isnull=True
        )
        .select_related("user")
        .first()
    )
    return assignment.user if assignment else incident.created_by


def _full_postmortem_required(incident: Incident) -> bool:
    """A trigger policy (resolution time) can demand a full postmortem."""
    return hooks.full_postmortem_required(incident)


def _prefill(postmortem: Postmortem, incident: Incident, now: datetime) -> None:
    """Start the summary and impact from what responders wrote during the
    incident; the authors then make them their own."""
    outline = get_outline(postmortem.template)
    starts = {"summary": incident.summary, "impact": incident.impact}
    Section.objects.bulk_create(
        [
            Section(
                postmortem=postmortem,
                key=key,
                language=postmortem.original_language,
                body=text,
                updated_at=now,
            )
            for key, text in starts.items()
            if text and outline.section(key)
        ]
    )


def draft_for_incident(
    incident: Incident,
    *,
    actor: Actor = None,
    template: object = None,
    now: datetime | None = None,
    language: object = None,
) -> Postmortem:
    """The incident's postmortem, drafted now if it has none: the template
    and due date come from policy, the owner is the incident commander."""
    now = timezone.now() if now is None else now
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        existing = Postmortem.objects.filter(incident=locked).first()
        if existing is not None:
            return existing
        rule = postmortem_rule(locked.severity)
        full = _full_postmortem_required(locked)
        key = (
            clean_template(template, Kind.INCIDENT)
            if template not in (None, "")
            else ("default" if full else _type_template(locked) or rule.template)
        )
        due = None
        if locked.resolved_at:
            due = rule.due_date(timezone.localdate(locked.resolved_at))
        postmortem = Postmortem.objects.create(
            incident=locked,
            kind=Kind.INCIDENT,
            template=key,
            title=locked.title,
            required=rule.required or full,
            owner=_current_commander(locked),
            due_on=due,
            original_language=clean_language(language or _default_language(actor)),
            created_at=now,
            created_by=_person(actor),
            updated_at=now,
        )
        _prefill(postmortem, locked, now)
        record_audit(
            actor=actor,
            action="postmortem.drafted",
            obj=postmortem,
            changes={"incident": locked.pk, "template": key, "due_on": str(due or "")},
            now=now,
        )
        record_on_timeline(
            postmortem,
            "drafted",
            actor=actor,
            now=now,
            owner=postmortem.owner.username if postmortem.owner else None,
            due_on=due.isoformat() if due else None,
        )
        postmortem_created.send(sender=Postmortem, postmortem=postmortem, actor=actor, now=now)
    return postmortem


def _type_template(incident: Incident) -> str | None:
    """The template the incident's type names (a near miss: lightweight),
    if it is one meant for incidents; None lets the severity's rule decide."""
    definition = incident_type(incident.type)
    if definition is None or not definition.template:
        return None
    outline = load_outlines().get(definition.template)
    if outline is None or Kind.INCIDENT not in outline.kinds:
        return None
    return definition.template


def _default_language(actor: Actor) -> str:
    profile = getattr(actor, "profile", None)
    language = getattr(profile, "language", "") or "en"
    return language if language in Language.values else "en"


def on_incident_updated(
    sender: object,
    incident: Incident,
    actor: Actor,
    changes: dict[str, Any],
    now: datetime,
    **kwargs: Any,
) -> None:
    """Resolving an incident drafts its postmortem (when policy asks for
    one) and starts the clock on an existing one. Connected to
    incident_updated (hotwash.wiring.reactions), so it runs inside the
    transaction of the change that resolved the incident.

    The draft is Hotwash's own, by policy: its audit record, timeline entry
    and creator name no person. A due date set on an existing postmortem is
    audited as a change by whoever resolved the incident."""
    status = changes.get("status")
    if not status or status["to"] not in ("resolved", "closed"):
        return
    if incident.merged_into_id is not None:
        # Closed as a duplicate (incidents.linking.merge_incidents): its
        # story is told on the incident it was merged into.
        return
    existing = Postmortem.objects.filter(incident=incident).first()
    if existing is None:
        if postmortem_rule(incident.severity).draft or _full_postmortem_required(incident):
            draft_for_incident(incident, actor=None, now=now)
        return
    if existing.due_on is None and incident.resolved_at:
        _start_the_clock(existing, incident, actor=actor, now=now)


def _start_the_clock(
    postmortem: Postmortem, incident: Incident, *, actor: Actor, now: datetime
) -> None:
    """The due date (and whether it is required) from policy, now that the
    incident is resolved, with its audit record."""
    rule = postmortem_rule(incident.severity)
    audit: dict[str, Any] = {}
    for field, value in (
        ("due_on", rule.due_date(timezone.localdate(incident.resolved_at))),
        ("required", postmortem.required or rule.required),
    ):
        old = getattr(postmortem, field)
        if old != value:
            setattr(postmortem, field, value)
            audit[field] = {"from": _plain(old), "to": _plain(value)}
    postmortem.save(update_fields=["due_on", "required"])
    record_audit(
        actor=actor,
        action="postmortem.updated",
        obj=postmortem,
        changes={**audit, "because": "incident_resolved"},
        now=now,
    )


def create_retrospective(
    *,
    actor: Actor,
    title: object,
    kind: object = Kind.SUCCESS,
    template: object = None,
    owner: object = None,
    due_on: object = None,
    language: object = None,
    services: Iterable[object] = (),
    tags: object = None,
    period_start: object = None,
    period_end: object = None,
    incident: Incident | None = None,
    now: datetime | None = None,
) -> Postmortem:
    """A retrospective of a success or a project (no incident), or, with
    `incident`, that incident's postmortem on request."""
    if actor is not None and not can_respond(actor):
        raise PermissionDenied(_("Only responders and admins can start a postmortem."))
    kind_value = clean_kind(kind)
    if kind_value == Kind.INCIDENT or incident is not None:
        if incident is None:
            raise InvalidInput(
                _("A postmortem of kind incident needs an incident."), field="incident"
            )
        if actor is not None and not can_view(actor, incident):
            raise NotFound(_("No incident %(ref)s.") % {"ref": incident.ref})
        if Postmortem.objects.filter(incident=incident).exists():
            raise Conflict(
                _("%(ref)s already has a postmortem.") % {"ref": incident.ref}, field="incident"
            )
        return draft_for_incident(
            incident, actor=actor, template=template, language=language, now=now
        )
    clean_title_value = clean_title(title)
    key = (
        clean_template(template, kind_value)
        if template not in (None, "")
        else outline_for_kind(kind_value).key
    )
    start = clean_date(period_start, "period_start")
    end = clean_date(period_end, "period_end")
    if start and end and end < start:
        raise InvalidInput(_("The period ends before it starts."), field="period_end")
    owner_user = clean_owner(owner) or _person(actor)
    service_names = clean_services(services)
    tag_list = clean_tags(tags)
    due = clean_date(due_on, "due_on")
    lang = clean_language(language or _default_language(actor))
    now = timezone.now() if now is None else now
    with transaction.atomic():
        postmortem = Postmortem.objects.create(
            kind=kind_value,
            template=key,
            title=clean_title_value,
            owner=owner_user,
            due_on=due,
            original_language=lang,
            tags=tag_list,
            period_start=start,
            period_end=end,
            created_at=now,
            created_by=_person(actor),
            updated_at=now,
        )
        if service_names:
            postmortem.services.set(services_named(service_names))
        record_audit(
            actor=actor,
            action="postmortem.created",
            obj=postmortem,
            changes={"kind": kind_value, "template": key, "title": clean_title_value},
            now=now,
        )
        postmortem_created.send(sender=Postmortem, postmortem=postmortem, actor=actor, now=now)
    return postmortem


# --- changing the header ------------------------------------------------------------

UPDATABLE = frozenset(
    {"title", "owner", "due_on", "tags", "original_language", "template", "public", "services",
     "period_start", "period_end", "authors"}
)  # fmt: skip


def update_postmortem(
    postmortem: Postmortem,
    *,
    actor: Actor,
    changes: Mapping[str, Any],
    now: datetime | None = None,
) -> Postmortem:
    """Change header fields; each real change is audited, and a new owner or
    due date is noted on the incident's timeline."""
    _require_edit(actor, postmortem)
    unknown = set(changes) - UPDATABLE
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(_("%(field)s cannot be changed.") % {"field": field}, field=field)
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "title":
            cleaned[field] = clean_title(value)
        elif field == "owner":
            cleaned[field] = clean_owner(value)
        elif field in ("due_on", "period_start", "period_end"):
            cleaned[field] = clean_date(value, field)
        elif field == "tags":
            cleaned[field] = clean_tags(value)
        elif field == "original_language":
            cleaned[field] = clean_language(value, field)
        elif field == "template":
            cleaned[field] = clean_template(value, postmortem.kind)
        elif field == "public":
            cleaned[field] = bool(value)
        elif field == "services":
            cleaned[field] = clean_services(value or [])
        elif field == "authors":
            names = value or []
            if isinstance(names, str):
                names = [name for name in names.replace(",", " ").split() if name]
            cleaned[field] = [clean_owner(name, "authors") for name in names]
    now = timezone.now() if now is None else now
    with transaction.atomic():
        postmortem = _locked(postmortem)
        _check_header(postmortem, cleaned)
        audit: dict[str, Any] = {}
        for field, value in cleaned.items():
            if field == "services":
                old = sorted(postmortem.services.values_list("name", flat=True))
                if old != sorted(value):
                    postmortem.services.set(services_named(value))
                    audit[field] = {"from": old, "to": sorted(value)}
                continue
            if field == "authors":
                old_authors = sorted(postmortem.authors.values_list("username", flat=True))
                new_authors = sorted({user.username for user in value if user})
                if old_authors != new_authors:
                    postmortem.authors.set([user for user in value if user])
                    audit[field] = {"from": old_authors, "to": new_authors}
                continue
            old_value = getattr(postmortem, field)
            if old_value == value:
                continue
            setattr(postmortem, field, value)
            audit[field] = {"from": _plain(old_value), "to": _plain(value)}
        if not audit:
            return postmortem
        postmortem.updated_at = now
        postmortem.save()
        record_audit(
            actor=actor, action="postmortem.updated", obj=postmortem, changes=audit, now=now
        )
        for field in ("owner", "due_on"):
            if field in audit:
                record_on_timeline(
                    postmortem,
                    f"{field}_changed",
                    actor=actor,
                    now=now,
                    to=audit[field]["to"],
                )
        if "public" in audit and not postmortem.public:
            record_on_timeline(postmortem, "public_unshared", actor=actor, now=now)
    return postmortem


def _check_header(postmortem: Postmortem, cleaned: Mapping[str, Any]) -> None:
    """What the incident's privacy forbids, read under the lock: sharing the
    postmortem publicly, and giving it to someone who cannot see the
    incident (people who already have it are not asked again)."""
    incident = postmortem.incident
    if cleaned.get("public") and incident is not None and incident.private:
        raise InvalidInput(
            _("A postmortem of a private incident cannot be made public."), field="public"
        )
    if cleaned.get("public") and not postmortem.public:
        # Shared publicly only through the public version its author
        # reviewed and confirmed (hotwash.sharing); withdrawing stays here.
        raise InvalidInput(
            _(
                "A postmortem is shared publicly by confirming its public version: open "
                "“Public version” on the postmortem's page."
            ),
            field="public",
        )
    owner = cleaned.get("owner")
    if owner is not None and owner.pk != postmortem.owner_id:
        check_can_see_incident(incident, [owner], "owner")
    if "authors" in cleaned:
        current = set(postmortem.authors.values_list("pk", flat=True))
        newcomers = [user for user in cleaned["authors"] if user and user.pk not in current]
        check_can_see_incident(incident, newcomers, "authors")


def withdraw_public_sharing(
    incident: Incident, *, actor: Actor, now: datetime
) -> Postmortem | None:
    """The incident turned private: its postmortem is no longer shared
    publicly. Written with an audit record and an entry on the incident's
    timeline, inside the transaction of the change that made it private."""
    with transaction.atomic():
        postmortem = (
            Postmortem.objects.select_for_update().filter(incident=incident, public=True).first()
        )
        if postmortem is None:
            return None
        postmortem.incident = incident
        postmortem.public = False
        postmortem.updated_at = now
        postmortem.save(update_fields=["public", "updated_at"])
        record_audit(
            actor=actor,
            action="postmortem.unshared",
            obj=postmortem,
            changes={"public": {"from": True, "to": False}, "because": "incident_private"},
            now=now,
        )
        record_on_timeline(postmortem, "public_withdrawn", actor=actor, now=now)
    return postmortem


def on_incident_made_private(
    sender: object,
    incident: Incident,
    actor: Actor,
    changes: dict[str, Any],
    now: datetime,
    **kwargs: Any,
) -> None:
    """Connected to incident_updated, which every change of an incident sends
    (pages, API, CLI, trigger policies), inside the change's transaction."""
    if (changes.get("private") or {}).get("to") is True:
        withdraw_public_sharing(incident, actor=actor, now=now)


def _plain(value: Any) -> Any:
    if isinstance(value, User):
        return value.username
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- sections ---------------------------------------------------------------------------


class SectionConflict(Conflict):
    """Someone else saved the section since this editor loaded it."""

    def __init__(self, current: Section, yours: str) -> None:
        super().__init__(
            _(
                "%(who)s saved this section while you were editing it. Both versions are "
                "shown: merge them, then save again."
            )
            % {"who": current.updated_by.username if current.updated_by else _("Someone")},
            field="body",
        )
        self.current = current
        self.yours = yours


def clean_section_key(postmortem: Postmortem, key: object) -> str:
    value = str(key or "").strip()
    outline = get_outline(postmortem.template)
    if value not in outline.keys:
        raise InvalidInput(
            _("This postmortem has no section %(key)s; its sections are %(keys)s.")
            % {"key": value, "keys": ", ".join(outline.keys)},
            field="section",
        )
    return value


def save_section(
    postmortem: Postmortem,
    *,
    actor: Actor,
    key: object,
    language: object,
    body: object,
    base_version: object,
    now: datetime | None = None,
) -> Section:
    """Save one section's text in one language.

    `base_version` is the version the editor started from (0 for a section
    with no text yet). If someone saved in between, nothing is written and
    SectionConflict carries their text and yours, so nobody's work is lost.
    """
    _require_edit(actor, postmortem)
    if not postmortem.is_open:
        raise Conflict(
            _("This postmortem is %(status)s; reopen it as a draft to change it.")
            % {"status": postmortem.get_status_display()},
            field="status",
        )
    section_key = clean_section_key(postmortem, key)
    lang = clean_language(language)
    text = str(body if body is not None else "").replace("\r\n", "\n")
    if len(text) > SECTION_MAX:
        raise InvalidInput(
            _("The section is too long; the limit is %(limit)s characters.")
            % {"limit": SECTION_MAX},
            field="body",
        )
    try:
        base = int(str(base_version))
    except (TypeError, ValueError):
        base = -1
    # Bad input (issue 9): a version no database column holds (the next
    # version, base + 1, is written) is refused like one that is not a number.
    if not 0 <= base < SECTION_VERSION_LIMIT:
        raise InvalidInput(
            _("base_version must be the section version you started from (0 for a new one)."),
            field="base_version",
        )
    now = timezone.now() if now is None else now
    person = _person(actor)
    with transaction.atomic():
        current = Section.objects.filter(
            postmortem=postmortem, key=section_key, language=lang
        ).first()
        if current is None:
            if base != 0:
                raise InvalidInput(
                    _("This section has no saved text yet; start from version 0."),
                    field="base_version",
                )
            try:
                with transaction.atomic():
                    section = Section.objects.create(
                        postmortem=postmortem,
                        key=section_key,
                        language=lang,
                        body=text,
                        version=1,
                        updated_at=now,
                        updated_by=person,
                    )
            except IntegrityError:
                winner = Section.objects.get(postmortem=postmortem, key=section_key, language=lang)
                raise SectionConflict(winner, text) from None
        else:
            if current.body == text and current.version == base:
                return current
            # Compare-and-set: only the editor who started from the current
            # version wins; a concurrent save changes no row here.
            updated = Section.objects.filter(pk=current.pk, version=base).update(
                body=text, version=base + 1, updated_at=now, updated_by=person
            )
            if not updated:
                current.refresh_from_db()
                raise SectionConflict(current, text)
            section = Section.objects.get(pk=current.pk)
        Postmortem.objects.filter(pk=postmortem.pk).update(updated_at=now)
        record_audit(
            actor=actor,
            action="postmortem.section_saved",
            obj=postmortem,
            changes={"section": section_key, "language": lang, "version": section.version},
            now=now,
        )
        section_saved.send(sender=Section, section=section, actor=actor, now=now)
    return section


def completeness(postmortem: Postmortem) -> dict[str, tuple[int, int]]:
    """For each language: (sections written, sections to write). Sections
    made only of incident facts (the timeline, action items) do not count."""
    outline = get_outline(postmortem.template)
    writable = outline.to_write
    filled: dict[str, set[str]] = {language: set() for language in Language.values}
    for key, language, body in postmortem.sections.values_list("key", "language", "body"):
        if key in writable and body.strip():
            filled.setdefault(language, set()).add(key)
    return {language: (len(keys), len(writable)) for language, keys in filled.items()}


# --- review -------------------------------------------------------------------------


def set_reviewers(
    postmortem: Postmortem,
    *,
    actor: Actor,
    usernames: Iterable[object],
    now: datetime | None = None,
) -> None:
    """Name the reviewers (replacing the list); decisions already made by
    people who stay on it are kept."""
    _require_edit(actor, postmortem)
    users = []
    for name in usernames:
        user = clean_owner(name, "reviewers")
        if user is not None and user not in users:
            users.append(user)
    now = timezone.now() if now is None else now
    with transaction.atomic():
        incident = _lock_incident(postmortem)
        before = set(postmortem.reviewers.values_list("user__username", flat=True))
        check_can_see_incident(
            incident, [user for user in users if user.username not in before], "reviewers"
        )
        Reviewer.objects.filter(postmortem=postmortem).exclude(user__in=users).delete()
        Reviewer.objects.bulk_create(
            [Reviewer(postmortem=postmortem, user=user, added_at=now) for user in users],
            ignore_conflicts=True,
        )
        after = {user.username for user in users}
        if before != after:
            record_audit(
                actor=actor,
                action="postmortem.reviewers_set",
                obj=postmortem,
                changes={"from": sorted(before), "to": sorted(after)},
                now=now,
            )
            record_on_timeline(postmortem, "reviewers_set", actor=actor, now=now, to=sorted(after))


def set_checklist_item(
    postmortem: Postmortem,
    *,
    actor: Actor,
    key: object,
    checked: bool,
    now: datetime | None = None,
) -> None:
    _require_edit(actor, postmortem)
    item = str(key or "")
    if item not in CHECKLIST_KEYS:
        raise InvalidInput(_("Unknown checklist item %(key)s.") % {"key": item}, field="checklist")
    now = timezone.now() if now is None else now
    with transaction.atomic():
        if checked:
            _item, created = ChecklistItem.objects.get_or_create(
                postmortem=postmortem,
                key=item,
                defaults={"checked_by": _person(actor), "checked_at": now},
            )
            changed = created
        else:
            changed = ChecklistItem.objects.filter(postmortem=postmortem, key=item).delete()[0] > 0
        if changed:
            record_audit(
                actor=actor,
                action="postmortem.checklist",
                obj=postmortem,
                changes={"item": item, "checked": bool(checked)},
                now=now,
            )


def add_comment(
    postmortem: Postmortem,
    *,
    actor: Actor,
    body: object,
    section: object = "",
    now: datetime | None = None,
) -> Comment:
    _require_read(actor, postmortem)
    if actor is not None and not actor.is_authenticated:
        raise PermissionDenied(_("Sign in to comment."))
    text = core_text.clean_text(
        body,
        field="body",
        limit=COMMENT_MAX,
        missing=_("Write something in the comment."),
        too_long=_("The comment is too long; the limit is %(limit)s characters."),
    )
    key = clean_section_key(postmortem, section) if section else ""
    now = timezone.now() if now is None else now
    with transaction.atomic():
        comment = Comment.objects.create(
            postmortem=postmortem, section_key=key, author=_person(actor), body=text, created_at=now
        )
        record_audit(
            actor=actor,
            action="postmortem.commented",
            obj=comment,
            changes={"section": key},
            now=now,
        )
    return comment


def resolve_comment(comment: Comment, *, actor: Actor, now: datetime | None = None) -> Comment:
    _require_edit(actor, comment.postmortem)
    now = timezone.now() if now is None else now
    if comment.resolved_at is None:
        with transaction.atomic():
            comment.resolved_at = now
            comment.save(update_fields=["resolved_at"])
            record_audit(actor=actor, action="postmortem.comment_resolved", obj=comment, now=now)
    return comment


@dataclass(frozen=True)
class Approvals:
    """Where a postmortem's approvals stand against the review policy."""

    required: int
    approved: list[User]  # named reviewers who approved
    waiting: list[User]  # named reviewers who have not (yet)

    @property
    def enough(self) -> bool:
        return len(self.approved) >= self.required


def required_approvals(postmortem: Postmortem) -> int:
    """The review policy: its incident's severity's `approvals`
    (policies: postmortems.<level>.approvals, two for SEV1 by default); one
    for a retrospective, which has no severity."""
    if postmortem.incident_id is None:
        return 1
    assert postmortem.incident is not None
    return postmortem_rule(postmortem.incident.severity).approvals


def approvals(postmortem: Postmortem) -> Approvals:
    reviewers = list(postmortem.reviewers.select_related("user").order_by("added_at", "id"))
    return Approvals(
        required=required_approvals(postmortem),
        approved=[r.user for r in reviewers if r.decision == ReviewDecision.APPROVED],
        waiting=[r.user for r in reviewers if r.decision != ReviewDecision.APPROVED],
    )


def approval_problems(postmortem: Postmortem) -> list[str]:
    """Why "approve" would be refused now (empty when it would not): the
    review checklist not ticked, and what other apps block on (action items
    without an owner or a due date). Approvals short of the review policy
    do not refuse it (each one is recorded): see `approvals`."""
    problems: list[str] = []
    ticked = set(postmortem.checklist.values_list("key", flat=True))
    for key, label in CHECKLIST:
        if key not in ticked:
            problems.append(_("Checklist not ticked: %(item)s") % {"item": label})
    problems.extend(hooks.approval_blockers(postmortem))
    return problems


def review(
    postmortem: Postmortem,
    *,
    actor: Actor,
    decision: object,
    comment: object = "",
    now: datetime | None = None,
) -> Reviewer:
    """A named reviewer approves or asks for changes (with a comment)."""
    _require_read(actor, postmortem)
    person = _person(actor)
    value = str(decision or "")
    if value not in (ReviewDecision.APPROVED, ReviewDecision.CHANGES_REQUESTED):
        raise InvalidInput(
            _("Unknown decision %(value)s: use approved or changes_requested.") % {"value": value},
            field="decision",
        )
    postmortem.refresh_from_db()
    reviewer = Reviewer.objects.filter(postmortem=postmortem, user=person).first()
    if reviewer is None:
        raise PermissionDenied(_("Only the named reviewers can review this postmortem."))
    if postmortem.status != Status.IN_REVIEW:
        raise Conflict(_("This postmortem is not in review."), field="status")
    if value == ReviewDecision.CHANGES_REQUESTED and not str(comment or "").strip():
        raise InvalidInput(_("Say which changes you are asking for."), field="comment")
    now = timezone.now() if now is None else now
    with transaction.atomic():
        reviewer.decision = value
        reviewer.decided_at = now
        reviewer.save(update_fields=["decision", "decided_at"])
        if str(comment or "").strip():
            add_comment(postmortem, actor=actor, body=comment, now=now)
        record_audit(
            actor=actor,
            action="postmortem.reviewed",
            obj=postmortem,
            changes={"decision": value},
            now=now,
        )
        record_on_timeline(postmortem, value, actor=actor, now=now)
    return reviewer


def transition(
    postmortem: Postmortem, *, actor: Actor, action: object, now: datetime | None = None
) -> Postmortem:
    """Move the postmortem along draft → in review → approved → published
    (or back to draft); each move lands on the incident's timeline.
    `approve` records the actor's approval, and moves the postmortem on only
    once it has as many as its review policy requires (required_approvals):
    until then it stays in review, its approvers listed."""
    _require_edit(actor, postmortem)
    name = str(action or "")
    if name not in TRANSITIONS:
        raise InvalidInput(
            _("Unknown action %(value)s: use %(known)s.")
            % {"value": name, "known": ", ".join(TRANSITIONS)},
            field="action",
        )
    sources, target = TRANSITIONS[name]
    now = timezone.now() if now is None else now
    with transaction.atomic():
        postmortem = _locked(postmortem)
        if postmortem.status not in sources:
            raise Conflict(
                _("A postmortem that is %(status)s cannot do that.")
                % {"status": postmortem.get_status_display()},
                field="status",
            )
        if name == "request_review" and not postmortem.reviewers.exists():
            raise InvalidInput(
                _("Name at least one reviewer before asking for a review."), field="reviewers"
            )
        if name == "approve":
            _check_approver(actor, postmortem)
            problems = approval_problems(postmortem)
            if problems:
                raise Conflict(
                    _("This postmortem cannot be approved yet: %(problems)s")
                    % {"problems": "; ".join(problems)},
                    field="status",
                )
            if not _approve_as(postmortem, actor, now):
                return postmortem  # the approval is recorded; more are needed
        previous = postmortem.status
        postmortem.status = target
        postmortem.updated_at = now
        if name == "request_review":
            postmortem.review_requested_at = now
            Reviewer.objects.filter(postmortem=postmortem).update(
                decision=ReviewDecision.PENDING, decided_at=None
            )
        elif name == "approve":
            postmortem.approved_at = now
        elif name == "publish":
            postmortem.published_at = now
        postmortem.save()
        record_audit(
            actor=actor,
            action=f"postmortem.{name}",
            obj=postmortem,
            changes={"status": {"from": previous, "to": target}},
            now=now,
        )
        record_on_timeline(
            postmortem, target if name != "reopen" else "reopened", actor=actor, now=now
        )
        postmortem_status_changed.send(
            sender=Postmortem, postmortem=postmortem, actor=actor, previous=previous, now=now
        )
    return postmortem


def _approve_as(postmortem: Postmortem, actor: Actor, now: datetime) -> bool:
    """Record the actor's approval (an administrator who is not a named
    reviewer becomes one, so every approval is on the page) and say whether
    the postmortem now has the approvals its review policy requires. The
    system (no actor: the demo, imports) approves without counting."""
    person = _person(actor)
    if person is None:
        return True
    reviewer, created = Reviewer.objects.get_or_create(
        postmortem=postmortem,
        user=person,
        defaults={"added_at": now, "decision": ReviewDecision.APPROVED, "decided_at": now},
    )
    if not created and reviewer.decision != ReviewDecision.APPROVED:
        reviewer.decision = ReviewDecision.APPROVED
        reviewer.decided_at = now
        reviewer.save(update_fields=["decision", "decided_at"])
    standing = approvals(postmortem)
    if not standing.enough:
        record_audit(
            actor=actor,
            action="postmortem.reviewed",
            obj=postmortem,
            changes={"decision": ReviewDecision.APPROVED, "approvals": len(standing.approved)},
            now=now,
        )
        record_on_timeline(postmortem, ReviewDecision.APPROVED, actor=actor, now=now)
    return standing.enough


def _check_approver(actor: Actor, postmortem: Postmortem) -> None:
    if actor is None or is_admin(actor):
        return
    if not Reviewer.objects.filter(postmortem=postmortem, user=_person(actor)).exists():
        raise PermissionDenied(_("Only a named reviewer or an admin can approve a postmortem."))


def lint_postmortem(postmortem: Postmortem) -> list[dict[str, Any]]:
    """Blameless-language findings in every section (shown on review; they
    never block it). Every account's name is known, participant or not, so
    naming anyone as a cause is seen."""
    accounts = organisation_names()  # once for all the sections
    findings: list[dict[str, Any]] = []
    for section in postmortem.sections.order_by("key", "language"):
        for finding in lint_markdown(section.body, section.language, accounts=accounts):
            findings.append(
                {"section": section.key, "language": section.language, "finding": finding}
            )
    return findings

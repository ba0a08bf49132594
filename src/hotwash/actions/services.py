"""Write-side functions for action items.

Each write runs in one transaction that saves the item, its audit record
and, when the item belongs to an incident (directly or through its
postmortem), a timeline entry of kind ACTION_ITEM on that incident; then it
sends `signals.action_item_changed` inside the same transaction. Bad input
raises before anything is written. Views, the API, the CLI, tracker webhooks
and demo data all come through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.actions.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ActionItem,
    Kind,
    Priority,
    Status,
)
from hotwash.actions.signals import action_item_changed
from hotwash.core import text as core_text
from hotwash.core.audit import record_audit
from hotwash.core.errors import InvalidInput, NotFound, PermissionDenied
from hotwash.core.validators import check_date
from hotwash.incidents.display import person_name
from hotwash.incidents.models import Incident, TimelineKind
from hotwash.incidents.queries import can_view
from hotwash.incidents.services import clean_text, record_system_event
from hotwash.policies import add_days, load_policies
from hotwash.postmortems.models import Postmortem
from hotwash.teams.models import Team

Actor = User | AnonymousUser | None

TITLE_MAX = 200

# Field names accepted in `changes`, with their aliases (the API's names).
_ALIASES = {"due": "due_on", "reason": "wont_do_reason"}
UPDATABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "owner",
        "due_on",
        "priority",
        "kind",
        "status",
        "wont_do_reason",
        "team",
    }
)
# What an item's owner may change on their own item without being a responder.
OWNER_FIELDS = frozenset({"status", "wont_do_reason"})


# --- validation -------------------------------------------------------------


def clean_title(value: object) -> str:
    return core_text.clean_title(value, limit=TITLE_MAX, missing=_("Give the action item a title."))


def _choice(value: object, choices: type[Status | Priority | Kind]) -> str | None:
    text = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    text = {"wontdo": "wont_do", "won't_do": "wont_do", "inprogress": "in_progress"}.get(text, text)
    return text if text in choices.values else None


def _clean_choice(
    value: object, choices: type[Status | Priority | Kind], field: str, message: str
) -> str:
    cleaned = _choice(value, choices)
    if cleaned is None:
        raise InvalidInput(
            message % {"value": value, "choices": ", ".join(choices.values)}, field=field
        )
    return cleaned


def clean_status(value: object) -> str:
    return _clean_choice(
        value, Status, "status", _("Unknown status %(value)s: use one of %(choices)s.")
    )


def clean_priority(value: object) -> str:
    return _clean_choice(
        value, Priority, "priority", _("Unknown priority %(value)s: use one of %(choices)s.")
    )


def clean_kind(value: object) -> str:
    return _clean_choice(value, Kind, "kind", _("Unknown kind %(value)s: use one of %(choices)s."))


def clean_owner(value: object) -> User:
    """Exactly one owner: an active user, given as a User or a username."""
    if isinstance(value, User):
        if not value.is_active:
            raise InvalidInput(
                _("%(username)s is not an active user; choose someone else as owner.")
                % {"username": value.get_username()},
                field="owner",
            )
        return value
    username = str(value or "").strip()
    if not username:
        raise InvalidInput(_("Every action item needs exactly one owner."), field="owner")
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise InvalidInput(
            _("There is no active user named %(username)s to own this action item.")
            % {"username": username},
            field="owner",
        ) from None


def clean_due(value: object) -> date:
    if isinstance(value, datetime):
        return check_date(value.date(), "due")
    if isinstance(value, date):
        return check_date(value, "due")
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(_("Every action item needs a due date."), field="due")
    try:
        due = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            _("%(value)s is not a date; use YYYY-MM-DD.") % {"value": value}, field="due"
        ) from None
    return check_date(due, "due")  # bad input (issue 9): the range every date keeps to


def clean_team(value: object) -> Team | None:
    if value is None or value == "":
        return None
    if isinstance(value, Team):
        return value
    text = str(value).strip()
    team = Team.objects.filter(slug=text).first() or Team.objects.filter(name__iexact=text).first()
    if team is None:
        raise InvalidInput(_("There is no team named %(team)s.") % {"team": text}, field="team")
    return team


def default_due_on(severity: int | None, today: date | None = None) -> date:
    """The due date policy gives an item created today for an incident of
    `severity` (None: no incident)."""
    start = today or timezone.localdate()
    days = load_policies().action_items.due_days_for(severity)
    return add_days(start, days, business_days=False)


def _severity_of(incident: Incident | None) -> int | None:
    return incident.severity if incident is not None else None


def _default_team(owner: User | None, incident: Incident | None) -> Team | None:
    """The owner's team when they are in exactly one; otherwise the team
    owning the incident's services when exactly one does."""
    if owner is not None:
        teams = list(Team.objects.filter(members=owner)[:2])
        if len(teams) == 1:
            return teams[0]
    if incident is not None:
        teams = list(Team.objects.filter(services__incidents=incident).distinct()[:2])
        if len(teams) == 1:
            return teams[0]
    return None


# --- permissions ------------------------------------------------------------


def _person(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def item_incident(item: ActionItem) -> Incident | None:
    """The incident an item belongs to, directly or through its postmortem."""
    if item.incident_id is not None:
        return item.incident
    if item.postmortem_id is not None and item.postmortem is not None:
        return item.postmortem.incident
    return None


def _not_found(item: ActionItem) -> NotFound:
    return NotFound(_("No action item %(ref)s.") % {"ref": item.ref})


def can_view_item(user: User | AnonymousUser, item: ActionItem) -> bool:
    if not user.is_authenticated:
        return False
    incident = item_incident(item)
    return incident is None or can_view(user, incident)


def can_edit_item(user: User | AnonymousUser, item: ActionItem) -> bool:
    """Change every field: responders and admins who can see the item."""
    return can_respond(user) and can_view_item(user, item)


def can_change_status(user: User | AnonymousUser, item: ActionItem) -> bool:
    """Mark done, in progress, won't do or reopen: also the item's owner."""
    if not can_view_item(user, item):
        return False
    return can_respond(user) or (item.owner_id is not None and item.owner_id == user.pk)


def _check_create(actor: Actor, incident: Incident | None) -> None:
    if actor is None:  # Hotwash itself (demo data, postmortem drafting)
        return
    if not can_respond(actor):
        raise PermissionDenied(_("Only responders and admins can create action items."))
    if incident is not None and not can_view(actor, incident):
        raise NotFound(_("No incident %(ref)s.") % {"ref": incident.ref})


def _check_update(actor: Actor, item: ActionItem, fields: set[str]) -> None:
    if actor is None:  # Hotwash itself (a tracker webhook, a periodic sync)
        return
    if not can_view_item(actor, item):
        raise _not_found(item)
    if can_respond(actor):
        return
    if item.owner_id is not None and item.owner_id == actor.pk:
        if fields <= OWNER_FIELDS:
            return
        raise PermissionDenied(
            _("As its owner you can change this item's status; ask a responder to change the rest.")
        )
    raise PermissionDenied(
        _("Only responders, admins and the item's owner can change an action item.")
    )


def _check_owner_can_see(owner: User, incident: Incident | None) -> None:
    if incident is not None and not can_view(owner, incident):
        raise InvalidInput(
            _(
                "%(username)s cannot see private incident %(ref)s; add them to the incident "
                "before giving them an action item on it."
            )
            % {"username": owner.get_username(), "ref": incident.ref},
            field="owner",
        )


# --- JSON-ready values for audit, timeline and signal -----------------------


def _json(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field == "owner":
        return value.get_username()
    if field == "team":
        return value.slug
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


# --- create -----------------------------------------------------------------


def _titles(item: ActionItem) -> dict[str, Any]:
    """For a timeline entry: the title in every language, while it is the
    one Hotwash wrote (display.describe reads it in the reader's)."""
    versions = (item.translations or {}).get("title") or {}
    return {"titles": versions} if item.title in versions.values() else {}


def create_action_item(
    *,
    actor: Actor,
    title: str,
    owner: User | str | None,
    due_on: date | str | None = None,
    incident: Incident | None = None,
    postmortem: Postmortem | None = None,
    team: Team | str | None = None,
    description: str = "",
    priority: object = None,
    kind: object = None,
    status: object = None,
    now: datetime | None = None,
    translations: Mapping[str, Mapping[str, str]] | None = None,
) -> ActionItem:
    """Create an action item on an incident or a postmortem (at least one).

    `owner` is required, except for an item drafted inside a postmortem
    (which then blocks the postmortem's approval until it gets one).
    `due_on` defaults from policy by the incident's severity and may not be
    in the past. `team` defaults to the owner's team when they have exactly
    one, else to the one team owning the incident's services. `now` (default:
    the current time) stamps everything written, and "today" is its date.
    `translations`, for text Hotwash wrote: the title and description in
    every language ({"title": {"en": ..., "fr": ...}, ...}), `title` and
    `description` being the site language's (ActionItem.translations)."""
    now = timezone.now() if now is None else now
    today = timezone.localdate(now)
    if postmortem is not None and incident is None:
        incident = postmortem.incident
    if incident is None and postmortem is None:
        raise InvalidInput(
            _("Say which incident or postmortem this action item is for."), field="incident"
        )
    if postmortem is not None and incident is not None and postmortem.incident_id != incident.pk:
        raise InvalidInput(
            _("Postmortem %(pm)s is not about incident %(ref)s.")
            % {"pm": postmortem.ref, "ref": incident.ref},
            field="postmortem",
        )
    _check_create(actor, incident)
    title = clean_title(title)
    description = clean_text(description, "description")
    owner_user: User | None
    if owner is None and postmortem is not None:
        owner_user = None
    else:
        owner_user = clean_owner(owner)
        _check_owner_can_see(owner_user, incident)
    if due_on is None or due_on == "":
        due = default_due_on(_severity_of(incident), today)
    else:
        due = clean_due(due_on)
        if due < today:
            raise InvalidInput(
                _("The due date %(due)s is in the past; choose today or a later date.")
                % {"due": due.isoformat()},
                field="due",
            )
    priority_value = clean_priority(priority) if priority not in (None, "") else Priority.MEDIUM
    kind_value = clean_kind(kind) if kind not in (None, "") else Kind.PREVENT
    status_value = clean_status(status) if status not in (None, "") else Status.OPEN
    if status_value not in OPEN_STATUSES:
        raise InvalidInput(_("A new action item starts open or in progress."), field="status")
    team_value = clean_team(team) if team not in (None, "") else _default_team(owner_user, incident)

    with transaction.atomic():
        item = ActionItem.objects.create(
            incident=incident,
            postmortem=postmortem,
            team=team_value,
            title=title,
            description=description,
            owner=owner_user,
            due_on=due,
            priority=priority_value,
            kind=kind_value,
            status=status_value,
            created_at=now,
            created_by=_person(actor),
            updated_at=now,
            translations={field: dict(text) for field, text in (translations or {}).items()},
        )
        changes: dict[str, Any] = {
            "created": True,
            "title": title,
            "owner": _json("owner", owner_user),
            "due_on": due.isoformat(),
            "status": status_value,
            "priority": priority_value,
            "kind": kind_value,
            "team": _json("team", team_value),
            "incident": incident.pk if incident is not None else None,
            "postmortem": postmortem.pk if postmortem is not None else None,
        }
        if incident is not None:
            record_system_event(
                incident,
                kind=TimelineKind.ACTION_ITEM,
                actor=actor,
                now=now,
                body=f"{item.ref} {title}",
                data={
                    "event": "created",
                    "item": item.pk,
                    "ref": item.ref,
                    "title": title,
                    **_titles(item),
                    "owner": changes["owner"],
                    "owner_name": person_name(owner_user) if owner_user is not None else None,
                    "due_on": changes["due_on"],
                },
            )
        record_audit(actor=actor, action="action_item.created", obj=item, changes=changes, now=now)
        action_item_changed.send(
            sender=ActionItem, item=item, actor=actor, changes=changes, now=now
        )
    return item


# --- update -----------------------------------------------------------------


def _clean_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for raw_field, value in changes.items():
        field = _ALIASES.get(raw_field, raw_field)
        if field not in UPDATABLE_FIELDS:
            raise InvalidInput(
                _("%(field)s cannot be changed.") % {"field": raw_field}, field=raw_field
            )
        if field == "title":
            cleaned[field] = clean_title(value)
        elif field == "description":
            cleaned[field] = clean_text(value, field)
        elif field == "wont_do_reason":
            cleaned[field] = clean_text(value, "reason")
        elif field == "owner":
            cleaned[field] = clean_owner(value)
        elif field == "due_on":
            cleaned[field] = clean_due(value)
        elif field == "priority":
            cleaned[field] = clean_priority(value)
        elif field == "kind":
            cleaned[field] = clean_kind(value)
        elif field == "status":
            cleaned[field] = clean_status(value)
        elif field == "team":
            cleaned[field] = clean_team(value)
    return cleaned


def _apply_status_rules(item: ActionItem, cleaned: dict[str, Any], now: datetime) -> None:
    """Done sets done_at; leaving done clears it. Won't do needs a reason;
    leaving won't do clears the reason (the audit keeps it)."""
    status = cleaned.get("status", item.status)
    if status == Status.WONT_DO:
        reason = cleaned.get("wont_do_reason", item.wont_do_reason)
        if not reason:
            raise InvalidInput(_("Say why this action item will not be done."), field="reason")
    elif cleaned.get("wont_do_reason"):
        raise InvalidInput(_("A reason is only kept for items marked won't do."), field="reason")
    else:
        cleaned["wont_do_reason"] = ""
    if status == Status.DONE:
        if item.status != Status.DONE:
            cleaned["done_at"] = now
    else:
        cleaned["done_at"] = None


def update_action_item(
    item: ActionItem,
    *,
    actor: Actor,
    changes: Mapping[str, Any],
    now: datetime | None = None,
) -> ActionItem:
    """Change the fields given (aliases: `due` for due_on, `reason` for
    wont_do_reason), and only those. Fields given with their current value
    write nothing; a call that changes nothing writes nothing. `actor` None
    is Hotwash itself (a tracker webhook or sync). `now` (default: the
    current time) stamps everything written."""
    cleaned = _clean_changes(changes)
    _check_update(actor, item, set(cleaned))
    now = timezone.now() if now is None else now
    with transaction.atomic():
        item = (
            # Lock only the item's row: PostgreSQL cannot lock the nullable
            # side of the outer joins select_related makes.
            ActionItem.objects.select_for_update(of=("self",))
            .select_related("owner", "team", "incident", "postmortem__incident")
            .get(pk=item.pk)
        )
        if "owner" in cleaned:
            _check_owner_can_see(cleaned["owner"], item_incident(item))
        _apply_status_rules(item, cleaned, now)
        audit: dict[str, Any] = {}
        for field, value in cleaned.items():
            old = getattr(item, field)
            if old == value:
                continue
            setattr(item, field, value)
            if field != "done_at":
                audit[field] = {"from": _json(field, old), "to": _json(field, value)}
        if not audit:
            return item
        item.updated_at = now
        item.save()
        incident = item_incident(item)
        if incident is not None:
            record_system_event(
                incident,
                kind=TimelineKind.ACTION_ITEM,
                actor=actor,
                now=now,
                body=f"{item.ref} {item.title}",
                data={
                    "event": "updated",
                    "item": item.pk,
                    "ref": item.ref,
                    "title": item.title,
                    **_titles(item),
                    "changes": audit,
                },
            )
        record_audit(actor=actor, action="action_item.updated", obj=item, changes=audit, now=now)
        action_item_changed.send(sender=ActionItem, item=item, actor=actor, changes=audit, now=now)
    return item


def set_status(
    item: ActionItem,
    *,
    actor: Actor,
    status: object,
    reason: str = "",
    now: datetime | None = None,
) -> ActionItem:
    changes: dict[str, Any] = {"status": status}
    if reason:
        changes["wont_do_reason"] = reason
    return update_action_item(item, actor=actor, changes=changes, now=now)


# --- postmortem approval ----------------------------------------------------


def approval_blockers(postmortem: Postmortem) -> list[str]:
    """Why the postmortem cannot be approved yet, one translated sentence per
    open action item that lacks an owner or a due date; empty when none.
    (Items done or won't do no longer need either.)"""
    messages: list[str] = []
    items = (
        ActionItem.objects.filter(postmortem=postmortem)
        .exclude(status__in=CLOSED_STATUSES)
        .order_by("id")
    )
    for item in items.only("id", "title", "owner", "due_on"):
        if item.owner_id is None and item.due_on is None:
            messages.append(
                _("Action item %(ref)s (%(title)s) has no owner and no due date.")
                % {"ref": item.ref, "title": item.title}
            )
        elif item.owner_id is None:
            messages.append(
                _("Action item %(ref)s (%(title)s) has no owner.")
                % {"ref": item.ref, "title": item.title}
            )
        elif item.due_on is None:
            messages.append(
                _("Action item %(ref)s (%(title)s) has no due date.")
                % {"ref": item.ref, "title": item.title}
            )
    return messages

"""Write-side functions for links between incidents and for merging a
duplicate into another incident.

Like every service here (see incidents/services.py), each function checks
who acts and on what, then writes in one transaction the change, a timeline
entry on each incident concerned and an audit record, and tells live pages.
Both incidents' rows are locked first, lowest id first, so two people
linking or merging the same pair at once queue instead of racing (two
merges of A into B and B into A would otherwise both succeed).

Links: at most one link between two incidents, whichever its kind and
direction ("related" reads the same both ways; "caused by" one way only, so
a second link between the same two would repeat or contradict the first).
Asking for a second one is refused (409), naming the one there is.

Merging `duplicate` into `survivor` moves the duplicate's timeline entries
(marked as moved, their times and authors kept), tasks, participants and
links to the survivor; the apps whose rows point at incidents move theirs
from the `incident_merged` receivers (hotwash.wiring.reactions); then the
duplicate is closed with `merged_into` set. It stays readable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.core import refs
from hotwash.core import text as core_text
from hotwash.core.audit import record_audit
from hotwash.core.errors import Conflict, InvalidInput, NotFound
from hotwash.incidents.models import (
    REF_PREFIX,
    Incident,
    IncidentLink,
    LinkKind,
    Participant,
    Status,
    Task,
    TimelineEvent,
    TimelineKind,
)
from hotwash.incidents.queries import can_view
from hotwash.incidents.services import (
    Actor,
    _person,
    _require_responder,
    _timeline,
    _touch,
    update_incident,
)
from hotwash.incidents.signals import incident_merged
from hotwash.live.bus import publish_incident_change

# Which way a link reads from one of its two incidents.
OUTGOING = "outgoing"  # this incident is the link's source
INCOMING = "incoming"  # this incident is the link's target


# --- validation -------------------------------------------------------------


def clean_kind(value: object) -> str:
    return core_text.clean_choice(
        value,
        LinkKind,
        field="kind",
        message=_("Unknown link kind %(value)s: use one of %(choices)s."),
    )


def find_incident(actor: Actor, ref: object, field: str) -> Incident:
    """The incident `ref` (in the request's `field`) names, if the actor may
    see it: a malformed reference is the request's fault (422, naming the
    field); an unknown or hidden incident answers like any other (404)."""
    if ref is None or not str(ref).strip():
        raise InvalidInput(_("Give the other incident's reference, e.g. INC-41."), field=field)
    number = refs.ref_number(ref, REF_PREFIX)
    if number is None:
        raise InvalidInput(
            _("%(ref)s is not an incident reference; use INC-42 or 42.") % {"ref": ref},
            field=field,
        )
    incident = Incident.objects.filter(pk=number).first()
    if incident is None or (actor is not None and not can_view(actor, incident)):
        raise NotFound(_("No incident %(ref)s.") % {"ref": f"{REF_PREFIX}{number}"}, field=field)
    return incident


def _lock_pair(first: Incident, second: Incident) -> dict[int, Incident]:
    """Both incidents' rows, locked until the transaction ends, lowest id
    first (the order every caller takes them in, so none deadlock)."""
    rows = Incident.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk")
    return {row.pk: row for row in rows}


def _pair_q(one: Incident, other: Incident) -> Q:
    return Q(source=one, target=other) | Q(source=other, target=one)


# --- links ------------------------------------------------------------------


def link_incidents(
    incident: Incident,
    *,
    actor: Actor,
    to: Incident,
    kind: object,
    now: datetime | None = None,
) -> IncidentLink:
    """Link `incident` to `to`: "related", or "caused_by" (`incident` was
    caused by `to`). Both must be visible to the actor (404 otherwise, as if
    they did not exist). Refused: a link to itself (422), a second link
    between the same two incidents (409)."""
    _require_responder(actor, incident)
    _require_responder(actor, to)
    kind_value = clean_kind(kind)
    if to.pk == incident.pk:
        raise InvalidInput(_("An incident cannot be linked to itself."), field="to")
    now = timezone.now() if now is None else now
    with transaction.atomic():
        _lock_pair(incident, to)
        existing = IncidentLink.objects.filter(_pair_q(incident, to)).first()
        if existing is not None:
            raise Conflict(
                _(
                    "%(one)s and %(other)s are already linked (%(link)s). Remove that link "
                    "first to link them another way."
                )
                % {"one": incident.ref, "other": to.ref, "link": link_sentence(existing, incident)},
                field="to",
            )
        link = IncidentLink.objects.create(
            source=incident, target=to, kind=kind_value, created_at=now, created_by=_person(actor)
        )
        _link_entries(link, actor=actor, action="linked", now=now)
        record_audit(
            actor=actor,
            action="incident.linked",
            obj=link,
            changes={"source": incident.ref, "target": to.ref, "kind": kind_value},
            now=now,
        )
        publish_incident_change(incident.pk, "timeline")
        publish_incident_change(to.pk, "timeline")
    return link


def unlink_incidents(
    incident: Incident, link: IncidentLink, *, actor: Actor, now: datetime | None = None
) -> None:
    """Remove a link `incident` is one end of. The actor must see both ends
    (a link whose other end is hidden from them does not exist for them)."""
    _require_responder(actor, incident)
    other = link.target if link.source_id == incident.pk else link.source
    _require_responder(actor, other)
    now = timezone.now() if now is None else now
    with transaction.atomic():
        _lock_pair(incident, other)
        _link_entries(link, actor=actor, action="unlinked", now=now)
        record_audit(
            actor=actor,
            action="incident.unlinked",
            obj=link,
            changes={"source": link.source.ref, "target": link.target.ref, "kind": link.kind},
            now=now,
        )
        link.delete()
        publish_incident_change(incident.pk, "timeline")
        publish_incident_change(other.pk, "timeline")


def _link_entries(link: IncidentLink, *, actor: Actor, action: str, now: datetime) -> None:
    """One timeline entry on each end, saying which way the link reads from
    there (links_display.describe_link renders it)."""
    for this, other, direction in (
        (link.source, link.target, OUTGOING),
        (link.target, link.source, INCOMING),
    ):
        _timeline(
            this,
            actor=actor,
            kind=TimelineKind.LINK,
            now=now,
            data={"action": action, "kind": link.kind, "direction": direction, "other": other.pk},
        )
        _touch(this, actor, now)


def link_sentence(link: IncidentLink, incident: Incident) -> str:
    """The link as read from `incident`: "Related to INC-41", "Caused by
    INC-40", "Caused INC-43"."""
    outgoing = link.source_id == incident.pk
    other = f"{REF_PREFIX}{link.target_id if outgoing else link.source_id}"
    return link_phrase(link.kind, OUTGOING if outgoing else INCOMING, other)


def link_phrase(kind: str, direction: str, other: str) -> str:
    if kind == LinkKind.CAUSED_BY and direction == OUTGOING:
        return _("Caused by %(ref)s") % {"ref": other}
    if kind == LinkKind.CAUSED_BY:
        return _("Caused %(ref)s") % {"ref": other}
    return _("Related to %(ref)s") % {"ref": other}


def links_of(incident: Incident, reader: Any) -> list[IncidentLink]:
    """The links of `incident` whose other end `reader` may see, oldest
    first, each with `other` and `direction` set as read from `incident`."""
    links = list(
        IncidentLink.objects.filter(Q(source=incident) | Q(target=incident))
        .select_related("source", "target", "created_by")
        .order_by("created_at", "id")
    )
    shown = []
    for link in links:
        outgoing = link.source_id == incident.pk
        other = link.target if outgoing else link.source
        if not can_view(reader, other):
            continue
        link.other = other  # type: ignore[attr-defined]
        link.direction = OUTGOING if outgoing else INCOMING  # type: ignore[attr-defined]
        shown.append(link)
    return shown


def get_link(incident: Incident, link_id: int, reader: Any) -> IncidentLink:
    """A link of `incident` the reader may see both ends of, or NotFound."""
    for link in links_of(incident, reader):
        if link.pk == link_id:
            return link
    raise NotFound(
        _("%(ref)s has no link %(id)d.") % {"ref": incident.ref, "id": link_id}, field="link_id"
    )


# --- merging ----------------------------------------------------------------


def merged_into_ref(incident: Incident, reader: Any) -> str | None:
    """The reference of the incident `incident` was merged into, if `reader`
    may see it (a private survivor's reference is named only to its own
    readers); None otherwise, or when it was not merged."""
    if incident.merged_into_id is None:
        return None
    survivor = Incident.objects.filter(pk=incident.merged_into_id).first()
    if survivor is None or not can_view(reader, survivor):
        return None
    return survivor.ref


def merged_duplicates(incident: Incident, reader: Any) -> list[Incident]:
    """The incidents merged into `incident` that `reader` may see, oldest
    first."""
    duplicates = Incident.objects.filter(merged_into=incident).order_by("declared_at", "id")
    return [duplicate for duplicate in duplicates if can_view(reader, duplicate)]


def check_merge(duplicate: Incident, survivor: Incident) -> None:
    """Why `duplicate` cannot be merged into `survivor`, as an error (None
    when it can). Checked again under the rows' locks by merge_incidents."""
    if duplicate.pk == survivor.pk:
        raise InvalidInput(_("An incident cannot be merged into itself."), field="into")
    if duplicate.merged_into_id is not None:
        raise Conflict(
            _("%(ref)s was already merged into %(into)s.")
            % {"ref": duplicate.ref, "into": f"{REF_PREFIX}{duplicate.merged_into_id}"},
            field="into",
        )
    if survivor.merged_into_id is not None:
        raise Conflict(
            _("%(ref)s was itself merged into %(into)s: merge into that one instead.")
            % {"ref": survivor.ref, "into": f"{REF_PREFIX}{survivor.merged_into_id}"},
            field="into",
        )
    if duplicate.private and not survivor.private:
        raise Conflict(
            _(
                "%(ref)s is private and %(into)s is not: merging would show the private "
                "incident's timeline to everyone who can see %(into)s. Make %(into)s "
                "private first, or link the two instead."
            )
            % {"ref": duplicate.ref, "into": survivor.ref},
            field="into",
        )


def merge_incidents(
    duplicate: Incident, *, actor: Actor, into: Incident, now: datetime | None = None
) -> Incident:
    """Merge `duplicate` into `into` (the survivor) and return the survivor.

    Both must be visible to the actor (404 otherwise). Refused: into itself
    (422); a duplicate or survivor already merged, a private duplicate into
    a public survivor (409). Everything moves in one transaction: timeline
    entries (data["moved_from"]: the incident they were written on), tasks,
    participants (each once), links (dropped when they would join the
    survivor to itself or repeat one it has), earlier duplicates' pointers,
    then the other apps' rows (incident_merged). The duplicate is closed
    with `merged_into` set and keeps its own roles and history."""
    _require_responder(actor, duplicate)
    _require_responder(actor, into)
    check_merge(duplicate, into)
    now = timezone.now() if now is None else now
    with transaction.atomic():
        locked = _lock_pair(duplicate, into)
        duplicate, survivor = locked[duplicate.pk], locked[into.pk]
        check_merge(duplicate, survivor)
        moved = {
            "entries": _move_timeline(duplicate, survivor),
            "tasks": Task.objects.filter(incident=duplicate).update(incident=survivor),
            "participants": _add_participants(duplicate, survivor, now),
            "links": _move_links(duplicate, survivor),
        }
        Incident.objects.filter(merged_into=duplicate).update(merged_into=survivor)
        duplicate.merged_into = survivor
        duplicate.save(update_fields=["merged_into"])
        _timeline(
            survivor,
            actor=actor,
            kind=TimelineKind.MERGE,
            now=now,
            data={"action": "absorbed", "other": duplicate.pk, "moved": moved},
            key_moment=True,
        )
        _timeline(
            duplicate,
            actor=actor,
            kind=TimelineKind.MERGE,
            now=now,
            data={"action": "merged_into", "other": survivor.pk, "moved": moved},
            key_moment=True,
        )
        # The other apps move their rows (alert groups, action items...)
        # before the duplicate closes, so closing it acts on what it keeps.
        incident_merged.send(
            sender=Incident, duplicate=duplicate, survivor=survivor, actor=actor, now=now
        )
        if duplicate.status != Status.CLOSED:
            update_incident(duplicate, actor=actor, changes={"status": Status.CLOSED}, now=now)
        _touch(survivor, actor, now)
        changes: dict[str, Any] = {"into": survivor.ref, "moved": moved}
        record_audit(actor=actor, action="incident.merged", obj=duplicate, changes=changes, now=now)
        record_audit(
            actor=actor,
            action="incident.merge_received",
            obj=survivor,
            changes={"from": duplicate.ref, "moved": moved},
            now=now,
        )
        publish_incident_change(duplicate.pk, "updated")
        publish_incident_change(survivor.pk, "updated")
    survivor.refresh_from_db()
    return survivor


def _move_timeline(duplicate: Incident, survivor: Incident) -> int:
    """Move every entry, keeping its times, author and text; `moved_from`
    says where it was written (kept from an earlier merge, so an entry
    moved twice still names the incident it was written on)."""
    entries = list(TimelineEvent.objects.filter(incident=duplicate).only("pk", "data"))
    for entry in entries:
        entry.incident = survivor
        entry.data = {**(entry.data or {})}
        entry.data.setdefault("moved_from", duplicate.pk)
    TimelineEvent.objects.bulk_update(entries, ["incident", "data"], batch_size=500)
    return len(entries)


def _add_participants(duplicate: Incident, survivor: Incident, now: datetime) -> int:
    """The duplicate's people join the survivor (each once); they remain
    participants of the duplicate too, which stays readable to them."""
    already = set(Participant.objects.filter(incident=survivor).values_list("user_id", flat=True))
    newcomers = [
        Participant(incident=survivor, user_id=user_id, joined_at=now)
        for user_id in Participant.objects.filter(incident=duplicate).values_list(
            "user_id", flat=True
        )
        if user_id not in already
    ]
    Participant.objects.bulk_create(newcomers, ignore_conflicts=True)
    return len(newcomers)


def _move_links(duplicate: Incident, survivor: Incident) -> int:
    """Re-point the duplicate's links to the survivor; drop those between
    the two (they would link the survivor to itself) and those the survivor
    already has with the same incident (one link per pair)."""
    moved = 0
    links = IncidentLink.objects.filter(Q(source=duplicate) | Q(target=duplicate))
    for link in list(links.order_by("created_at", "id")):
        source = survivor.pk if link.source_id == duplicate.pk else link.source_id
        target = survivor.pk if link.target_id == duplicate.pk else link.target_id
        other = target if source == survivor.pk else source
        clash = IncidentLink.objects.filter(
            Q(source_id=survivor.pk, target_id=other) | Q(source_id=other, target_id=survivor.pk)
        ).exclude(pk=link.pk)
        if source == target or clash.exists():
            link.delete()
            continue
        IncidentLink.objects.filter(pk=link.pk).update(source_id=source, target_id=target)
        moved += 1
    return moved


def merge_preview(duplicate: Incident, survivor: Incident) -> dict[str, Any]:
    """What merging would move, for the confirmation page: counts, and the
    people who would newly see a private survivor."""
    survivor_people = Participant.objects.filter(incident=survivor).values("user_id")
    newcomers = list(
        User.objects.filter(participant__incident=duplicate)
        .exclude(pk__in=survivor_people)
        .order_by("first_name", "last_name", "username")
    )
    return {
        "entries": TimelineEvent.objects.filter(incident=duplicate).count(),
        "tasks": Task.objects.filter(incident=duplicate).count(),
        "links": IncidentLink.objects.filter(Q(source=duplicate) | Q(target=duplicate)).count(),
        "newcomers": newcomers,
    }

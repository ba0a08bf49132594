"""What goes into the search index, and keeping it current.

Each kind of thing becomes one document (hotwash.search.models.Document):
- an incident: its title; its summary, impact and every timeline entry's
  text (notes, decisions, updates, chat messages, in every language written);
- a postmortem: its title; every section in both languages;
- an action item: its title; its description and Hotwash's own wording of
  both in every language;
- an alert group: its group key and common labels (names and values).

The receivers below are connected in hotwash.wiring.reactions to the
post_save and post_delete signals of those models and to the apps' own
signals (a section saved, alerts received, an incident merged), so a
document is written inside the transaction of the change it follows and
commits or rolls back with it. `rebuild` writes every document again
(`hotwash reindex`, and the migration that created the index).

The builders read rows with `.values()` from the model classes they are
given, so the migration can pass its historical models.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models

from hotwash.actions.models import REF_PREFIX as ACTION_PREFIX
from hotwash.actions.models import ActionItem
from hotwash.alerts.models import AlertGroup
from hotwash.incidents.models import REF_PREFIX as INCIDENT_PREFIX
from hotwash.incidents.models import Incident, TimelineEvent
from hotwash.postmortems.models import REF_PREFIX as POSTMORTEM_PREFIX
from hotwash.postmortems.models import Postmortem, Section
from hotwash.search import engine
from hotwash.search.engine import Doc
from hotwash.search.models import Document, Kind

ALERT_GROUP_PREFIX = "AG-"
# Rows read and written at once by a rebuild.
CHUNK = 1000


@dataclass(frozen=True)
class Models:
    """The model classes the builders read: today's, or a migration's."""

    incident: type[models.Model] = Incident
    timeline: type[models.Model] = TimelineEvent
    postmortem: type[models.Model] = Postmortem
    section: type[models.Model] = Section
    action_item: type[models.Model] = ActionItem
    alert_group: type[models.Model] = AlertGroup


CURRENT = Models()


def _join(*parts: Any) -> str:
    return "\n".join(str(part).strip() for part in parts if part and str(part).strip())


# --- the documents ------------------------------------------------------------


def _texts_by_parent(
    model: type[models.Model], parent: str, parent_ids: list[int], *, order: str
) -> dict[int, list[str]]:
    """The non-empty `body` of each row of `model` (timeline entries,
    sections), by its `parent` id, in `order` then creation order."""
    texts: dict[int, list[str]] = defaultdict(list)
    bodies = (
        model._default_manager.filter(**{f"{parent}__in": parent_ids})
        .exclude(body="")
        .order_by(parent, order, "id")
        .values_list(parent, "body")
    )
    for parent_id, body in bodies:
        texts[parent_id].append(body)
    return texts


def incident_docs(ids: Iterable[int], m: Models = CURRENT) -> list[Doc]:
    rows = m.incident._default_manager.filter(pk__in=list(ids)).values(
        "pk", "title", "summary", "impact", "private", "type", "declared_at"
    )
    incidents = list(rows)
    entries = _texts_by_parent(
        m.timeline, "incident_id", [row["pk"] for row in incidents], order="occurred_at"
    )
    return [
        Doc(
            kind=Kind.INCIDENT,
            object_id=row["pk"],
            incident_id=row["pk"],
            private=row["private"],
            incident_type=row["type"] or "",
            occurred_at=row["declared_at"],
            ref=f"{INCIDENT_PREFIX}{row['pk']}",
            title=row["title"],
            body=_join(row["summary"], row["impact"], *entries[row["pk"]]),
        )
        for row in incidents
    ]


def postmortem_docs(ids: Iterable[int], m: Models = CURRENT) -> list[Doc]:
    rows = list(
        m.postmortem._default_manager.filter(pk__in=list(ids)).values(
            "pk", "title", "incident_id", "incident__private", "incident__type", "created_at"
        )
    )
    sections = _texts_by_parent(
        m.section, "postmortem_id", [row["pk"] for row in rows], order="language"
    )
    return [
        Doc(
            kind=Kind.POSTMORTEM,
            object_id=row["pk"],
            incident_id=row["incident_id"],
            private=bool(row["incident__private"]),
            incident_type=row["incident__type"] or "",
            occurred_at=row["created_at"],
            ref=f"{POSTMORTEM_PREFIX}{row['pk']}",
            title=row["title"],
            body=_join(*sections[row["pk"]]),
        )
        for row in rows
    ]


def _translations(value: Any) -> list[str]:
    """Hotwash's own wording of an item ({"title": {"en": ..., "fr": ...}})."""
    if not isinstance(value, dict):
        return []
    return [
        text
        for by_language in value.values()
        if isinstance(by_language, dict)
        for text in by_language.values()
        if isinstance(text, str)
    ]


def action_item_docs(ids: Iterable[int], m: Models = CURRENT) -> list[Doc]:
    rows = m.action_item._default_manager.filter(pk__in=list(ids)).values(
        "pk",
        "title",
        "description",
        "translations",
        "incident_id",
        "incident__private",
        "incident__type",
        "created_at",
    )
    return [
        Doc(
            kind=Kind.ACTION_ITEM,
            object_id=row["pk"],
            incident_id=row["incident_id"],
            private=bool(row["incident__private"]),
            incident_type=row["incident__type"] or "",
            occurred_at=row["created_at"],
            ref=f"{ACTION_PREFIX}{row['pk']}",
            title=row["title"],
            body=_join(row["description"], *_translations(row["translations"])),
        )
        for row in rows
    ]


def _labels(labels: Any) -> str:
    if not isinstance(labels, dict):
        return ""
    return "\n".join(f"{key} {value}" for key, value in sorted(labels.items()))


def alert_group_docs(ids: Iterable[int], m: Models = CURRENT) -> list[Doc]:
    rows = m.alert_group._default_manager.filter(pk__in=list(ids)).values(
        "pk",
        "group_key",
        "labels",
        "incident_id",
        "incident__private",
        "incident__type",
        "first_fired_at",
    )
    return [
        Doc(
            kind=Kind.ALERT_GROUP,
            object_id=row["pk"],
            incident_id=row["incident_id"],
            private=bool(row["incident__private"]),
            incident_type=row["incident__type"] or "",
            occurred_at=row["first_fired_at"],
            ref=f"{ALERT_GROUP_PREFIX}{row['pk']}",
            title=str((row["labels"] or {}).get("alertname") or row["group_key"])[:200],
            body=_join(row["group_key"], _labels(row["labels"])),
        )
        for row in rows
    ]


BUILDERS: dict[str, Callable[[Iterable[int], Models], list[Doc]]] = {
    Kind.INCIDENT: incident_docs,
    Kind.POSTMORTEM: postmortem_docs,
    Kind.ACTION_ITEM: action_item_docs,
    Kind.ALERT_GROUP: alert_group_docs,
}


def index(kind: str, ids: Iterable[int], m: Models = CURRENT) -> None:
    """Write these things' documents again; one that no longer exists is
    removed from the index."""
    wanted = set(ids)
    docs = BUILDERS[kind](wanted, m)
    engine.write(docs)
    engine.delete(kind, wanted - {doc.object_id for doc in docs})


def _model_for(kind: str, m: Models) -> type[models.Model]:
    return {
        Kind.INCIDENT: m.incident,
        Kind.POSTMORTEM: m.postmortem,
        Kind.ACTION_ITEM: m.action_item,
        Kind.ALERT_GROUP: m.alert_group,
    }[Kind(kind)]


def _chunks(model: type[models.Model]) -> Iterator[list[int]]:
    """Every id of `model`, CHUNK at a time, by keyset (no OFFSET)."""
    last = 0
    while True:
        ids = list(
            model._default_manager.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:CHUNK]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def rebuild(m: Models = CURRENT, *, progress: Callable[[str, int], None] | None = None) -> int:
    """Write the whole index again from the data; returns how many
    documents it holds. Run inside a transaction, readers see the old index
    until it commits."""
    engine.clear()
    total = 0
    for kind in Kind:
        for ids in _chunks(_model_for(kind, m)):
            engine.write(BUILDERS[kind](ids, m))
            total += len(ids)
            if progress:
                progress(kind, total)
    return total


# --- receivers (connected in hotwash.wiring.reactions) ------------------------


def _follow_incident(incident: Incident) -> None:
    """The incident's own document, and its privacy and type on every
    document that belongs to it (who may find them follows the incident)."""
    index(Kind.INCIDENT, [incident.pk])
    Document.objects.filter(incident_id=incident.pk).exclude(
        private=incident.private, incident_type=incident.type
    ).update(private=incident.private, incident_type=incident.type)


def on_incident_saved(instance: Incident, **kwargs: Any) -> None:
    _follow_incident(instance)


def on_incident_deleted(instance: Incident, **kwargs: Any) -> None:
    engine.delete(Kind.INCIDENT, [instance.pk])
    # Its alert groups stay, without an incident (SET_NULL, written by an
    # UPDATE that sends no signal): so do their documents.
    Document.objects.filter(incident_id=instance.pk).update(incident_id=None, private=False)


def on_timeline_saved(instance: TimelineEvent, **kwargs: Any) -> None:
    index(Kind.INCIDENT, [instance.incident_id])


def on_timeline_deleted(instance: TimelineEvent, **kwargs: Any) -> None:
    # Deleting an incident deletes its entries first: its document then
    # goes with it (on_incident_deleted), so nothing is written here.
    if Incident.objects.filter(pk=instance.incident_id).exists():
        index(Kind.INCIDENT, [instance.incident_id])


def on_incident_merged(duplicate: Incident, survivor: Incident, **kwargs: Any) -> None:
    """A merge moves timeline entries, action items and alert groups with
    UPDATEs (no per-row signal): every document of either incident is
    written again. Connected after the receivers that move rows."""
    incident_ids = [duplicate.pk, survivor.pk]
    index(Kind.INCIDENT, incident_ids)
    documents = Document.objects.filter(incident_id__in=incident_ids)
    for kind, model in (
        (Kind.POSTMORTEM, Postmortem),
        (Kind.ACTION_ITEM, ActionItem),
        (Kind.ALERT_GROUP, AlertGroup),
    ):
        now = model._default_manager.filter(incident_id__in=incident_ids).values_list(
            "pk", flat=True
        )
        before = documents.filter(kind=kind).values_list("object_id", flat=True)
        index(kind, {*now, *before})


def on_postmortem_saved(instance: Postmortem, **kwargs: Any) -> None:
    index(Kind.POSTMORTEM, [instance.pk])


def on_postmortem_created(postmortem: Postmortem, **kwargs: Any) -> None:
    # Its sections are written with bulk_create, which sends no post_save.
    index(Kind.POSTMORTEM, [postmortem.pk])


def on_section_saved(section: Section, **kwargs: Any) -> None:
    # save_section writes a new version with an UPDATE: no post_save.
    index(Kind.POSTMORTEM, [section.postmortem_id])


def on_postmortem_deleted(instance: Postmortem, **kwargs: Any) -> None:
    engine.delete(Kind.POSTMORTEM, [instance.pk])


def on_action_item_saved(instance: ActionItem, **kwargs: Any) -> None:
    index(Kind.ACTION_ITEM, [instance.pk])


def on_action_item_deleted(instance: ActionItem, **kwargs: Any) -> None:
    engine.delete(Kind.ACTION_ITEM, [instance.pk])


def on_alerts_received(
    group: AlertGroup, new_alerts: list[Any], refired_alerts: list[Any], **kwargs: Any
) -> None:
    # Ingestion writes groups with its own SQL (no post_save). A repeat
    # notification that brings nothing new (a heartbeat) changes no word.
    if new_alerts or refired_alerts:
        index(Kind.ALERT_GROUP, [group.pk])


def on_alert_group_saved(instance: AlertGroup, **kwargs: Any) -> None:
    index(Kind.ALERT_GROUP, [instance.pk])


def on_alert_group_deleted(instance: AlertGroup, **kwargs: Any) -> None:
    engine.delete(Kind.ALERT_GROUP, [instance.pk])


# Each model whose rows are indexed, with its post_save and post_delete
# receivers (connected in hotwash.wiring.reactions).
SAVED_AND_DELETED: tuple[
    tuple[type[models.Model], Callable[..., None], Callable[..., None]], ...
] = (
    (Incident, on_incident_saved, on_incident_deleted),
    (TimelineEvent, on_timeline_saved, on_timeline_deleted),
    (Postmortem, on_postmortem_saved, on_postmortem_deleted),
    (ActionItem, on_action_item_saved, on_action_item_deleted),
    (AlertGroup, on_alert_group_saved, on_alert_group_deleted),
)

"""Similar incidents: "has this happened before?"

Up to five incidents declared before this one that its reader may see,
never itself nor an incident merged into another (a duplicate points to its
survivor, which is the one to show), scored by:
- text: the incident's title, summary and impact as a query where any word
  may match, ranked by the search engine (its best candidates only);
- the services both affected, the alert names both received, and the type.
Each comes with its postmortem's key lessons, when it has one the reader
may read.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotwash.accounts.permissions import AnyUser, is_admin
from hotwash.alerts.models import AlertGroup
from hotwash.incidents.models import Incident
from hotwash.incidents.queries import visible_incidents
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.queries import key_lessons, readable_postmortems
from hotwash.search import engine
from hotwash.search.models import Document, Kind

LIMIT = 5
# Text candidates weighed, and incidents sharing a service or an alert name
# looked at.
TEXT_CANDIDATES = 50
# Newest matches of any of the words that the engine ranks, of which the
# best TEXT_CANDIDATES are weighed.
SIMILAR_CANDIDATES = 300
SERVICE_CANDIDATES = 50
# How much each kind of likeness counts; text ranks 0..1 (best 1).
TEXT_WEIGHT = 3.0
SERVICE_WEIGHT = 1.0
ALERT_WEIGHT = 1.0
TYPE_WEIGHT = 0.5
LESSON_LINES = 3


@dataclass(frozen=True)
class Similar:
    incident: Incident
    score: float
    shared_services: list[str]
    same_type: bool
    lessons: list[str]
    postmortem: Postmortem | None


def similar_incidents(user: AnyUser, incident: Incident) -> list[Similar]:
    """The incidents most like `incident` that `user` may see, best first.
    The caller has checked that `user` may see `incident`. Candidates are
    scored from a few narrow queries; only the best are loaded whole."""
    if not user.is_authenticated:
        return []
    text_scores = _text_scores(user, incident)
    services = set(incident.services.values_list("name", flat=True))
    alerts = _alert_names([incident.pk]).get(incident.pk, set())
    wanted = {
        *text_scores,
        *_sharing_services(incident, services),
        *_alerted_alike(incident, alerts),
    }
    candidates = dict(
        visible_incidents(user)
        .filter(pk__in=wanted, declared_at__lt=incident.declared_at, merged_into__isnull=True)
        .exclude(pk=incident.pk)
        .values_list("pk", "type")
    )
    shared = _shared_services(list(candidates), services)
    their_alerts = _alert_names(list(candidates)) if alerts else {}
    scores = {
        pk: TEXT_WEIGHT * text_scores.get(pk, 0.0)
        + SERVICE_WEIGHT * len(shared.get(pk, ()))
        + ALERT_WEIGHT * len(alerts & their_alerts.get(pk, set()))
        + TYPE_WEIGHT * (kind == incident.type)
        for pk, kind in candidates.items()
    }
    # Equal scores: the more recent first (ids grow with time).
    best = sorted(scores, key=lambda pk: (-scores[pk], -pk))[:LIMIT]
    incidents = Incident.objects.in_bulk(best)
    postmortems = _postmortems(user, best)
    return [
        Similar(
            incident=incidents[pk],
            score=scores[pk],
            shared_services=sorted(shared.get(pk, ())),
            same_type=candidates[pk] == incident.type,
            lessons=key_lessons(postmortems[pk], lines=LESSON_LINES) if pk in postmortems else [],
            postmortem=postmortems.get(pk),
        )
        for pk in best
    ]


def _shared_services(incident_ids: list[int], services: set[str]) -> dict[int, set[str]]:
    """For each of these incidents, which of `services` it affected."""
    if not incident_ids or not services:
        return {}
    shared: dict[int, set[str]] = {}
    rows = Incident.services.through.objects.filter(
        incident_id__in=incident_ids, service__name__in=services
    ).values_list("incident_id", "service__name")
    for incident_id, name in rows:
        shared.setdefault(incident_id, set()).add(name)
    return shared


def _text_scores(user: AnyUser, incident: Incident) -> dict[int, float]:
    """Incident id -> 1 for the best text match down towards 0."""
    query = " ".join(part for part in (incident.title, incident.summary, incident.impact) if part)
    merged = set(incident.merged_duplicates.values_list("pk", flat=True))
    scope = engine.Scope(
        reader_id=None if is_admin(user) else user.pk,
        kinds=(Kind.INCIDENT,),
        before=incident.declared_at,
        exclude_incidents=frozenset({incident.pk, *merged}),
    )
    found = engine.candidates(query[:1000], scope, mode="any", limit=SIMILAR_CANDIDATES)
    found = found[:TEXT_CANDIDATES]
    if not found:
        return {}
    ids = dict(Document.objects.filter(pk__in=[c.id for c in found]).values_list("pk", "object_id"))
    top = found[0].score or 1.0
    return {ids[c.id]: c.score / top for c in found if c.id in ids}


def _sharing_services(incident: Incident, services: set[str]) -> set[int]:
    if not services:
        return set()
    others = (
        Incident.objects.filter(services__name__in=services, declared_at__lt=incident.declared_at)
        .exclude(pk=incident.pk)
        .order_by("-declared_at")
        .values_list("pk", flat=True)
    )
    return set(others[:SERVICE_CANDIDATES])


def _alerted_alike(incident: Incident, names: set[str]) -> set[int]:
    """Earlier incidents whose alert groups had one of these alert names."""
    if not names:
        return set()
    others = (
        AlertGroup.objects.filter(
            labels__alertname__in=sorted(names), incident__declared_at__lt=incident.declared_at
        )
        .exclude(incident_id=incident.pk)
        .order_by("-first_fired_at")
        .values_list("incident_id", flat=True)
    )
    return {pk for pk in others[:SERVICE_CANDIDATES] if pk is not None}


def _alert_names(incident_ids: list[int]) -> dict[int, set[str]]:
    """The alert names (`alertname` label) of these incidents' alert
    groups, in one query."""
    names: dict[int, set[str]] = {}
    groups = AlertGroup.objects.filter(incident_id__in=incident_ids).values_list(
        "incident_id", "labels"
    )
    for incident_id, labels in groups:
        if isinstance(labels, dict) and labels.get("alertname"):
            names.setdefault(incident_id, set()).add(str(labels["alertname"]))
    return names


def _postmortems(user: AnyUser, incident_ids: list[int]) -> dict[int, Postmortem]:
    readable = (
        readable_postmortems(user).filter(incident_id__in=incident_ids).prefetch_related("sections")
    )
    return {p.incident_id: p for p in readable if p.incident_id is not None}

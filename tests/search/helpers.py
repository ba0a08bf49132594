"""Setting the scene for the search tests, through the services (so the
index is written as it is in production, by the receivers)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone

from hotwash.alerts.models import AlertGroup, AlertSource
from hotwash.incidents.models import Incident
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.services import draft_for_incident, save_section
from hotwash.search.queries import SearchParams, search


def refs(user: User, text: str, **params: object) -> list[str]:
    """The references `user` finds for `text`, best first."""
    found = search(user, SearchParams(text=text, per_page=200, **params))  # type: ignore[arg-type]
    return [result.ref for result in found.items]


def write_section(postmortem: Postmortem, actor: User, key: str, language: str, body: str) -> None:
    section = postmortem.sections.filter(key=key, language=language).first()
    save_section(
        postmortem,
        actor=actor,
        key=key,
        language=language,
        body=body,
        base_version=section.version if section else 0,
    )


def postmortem_for(incident: Incident, actor: User) -> Postmortem:
    return draft_for_incident(incident, actor=actor)


def alert_group(incident: Incident | None, labels: dict[str, str], key: str = "g1") -> AlertGroup:
    now = timezone.now()
    source, _ = AlertSource.objects.get_or_create(
        name="am",
        defaults={"kind": "alertmanager", "digest": "d" * 64, "prefix": "p", "created_at": now},
    )
    return AlertGroup.objects.create(
        source=source,
        group_key=key,
        labels=labels,
        first_fired_at=now,
        last_notified_at=now,
        updated_at=now,
        incident=incident,
    )

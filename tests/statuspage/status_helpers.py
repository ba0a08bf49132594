"""Helpers for the status page tests: incidents with updates, published the
way the publishing service does (a row and the update_published signal, in
one transaction)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from hotwash.incidents.models import Incident, Service
from hotwash.incidents.services import declare_incident
from hotwash.statuspage.models import StakeholderUpdate
from hotwash.statuspage.signals import update_published


def public_service(name: str, public_name: str = "") -> Service:
    return Service.objects.create(name=name, public=True, public_name=public_name)


def incident(
    actor: User, title: str, services: list[str], *, severity: int = 2, private: bool = False
) -> Incident:
    return declare_incident(
        actor=actor, title=title, services=services, severity=severity, private=private
    )


def publish(
    incident: Incident,
    en: str,
    fr: str = "",
    *,
    audience: str = "public",
    status: str = "investigating",
    now: datetime | None = None,
) -> StakeholderUpdate:
    now = now or timezone.now()
    with transaction.atomic():
        update = StakeholderUpdate.objects.create(
            incident=incident,
            audience=audience,
            status=status,
            text_en=en,
            text_fr=fr,
            published_at=now,
        )
        update_published.send(StakeholderUpdate, update=update, incident=incident, now=now)
    return update

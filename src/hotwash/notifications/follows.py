"""Following an incident or a service: its events then reach the person by
mail, in their language, for the events they chose in their preferences
(NotificationPreference.followed_events).

`follow` and `unfollow` are the service functions (the page's button and
the API call them); `follower_deliveries` is the recipient source routing
asks for each event (registered in hotwash.wiring.startup): the followers
of the event's incident and of its services who may see it and want it.
Internal stakeholder updates go to them; public ones are the status page's.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from hotwash.core.audit import record_audit
from hotwash.incidents.models import Incident, Service
from hotwash.notifications.events import EventType
from hotwash.notifications.models import (
    FOLLOWABLE_EVENTS,
    Event,
    Follow,
    NotificationPreference,
    default_followed_events,
)
from hotwash.notifications.recipients import followers_q, plan_people
from hotwash.notifications.routing import Planned

Followed = Incident | Service
CHANNEL = "email"


def _filter(thing: Followed) -> dict[str, Followed]:
    return {"incident": thing} if isinstance(thing, Incident) else {"service": thing}


def is_following(user: User, thing: Followed) -> bool:
    return Follow.objects.filter(user=user, **_filter(thing)).exists()


def follow(user: User, thing: Followed, *, now: datetime | None = None) -> Follow:
    """`user` follows `thing` (an incident they can see, or a service);
    following twice is following once."""
    now = now or timezone.now()
    existing = Follow.objects.filter(user=user, **_filter(thing)).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            created = Follow.objects.create(user=user, created_at=now, **_filter(thing))
            record_audit(actor=user, action="notifications.followed", obj=thing, now=now)
    except IntegrityError:
        # Another request of the same person followed it in between.
        return Follow.objects.get(user=user, **_filter(thing))
    return created


def unfollow(user: User, thing: Followed, *, now: datetime | None = None) -> bool:
    """`user` no longer follows `thing`; False if they did not."""
    with transaction.atomic():
        deleted, _rows = Follow.objects.filter(user=user, **_filter(thing)).delete()
        if deleted:
            record_audit(actor=user, action="notifications.unfollowed", obj=thing, now=now)
    return bool(deleted)


def wanted_by_followers(event: Event) -> bool:
    if event.type not in FOLLOWABLE_EVENTS or event.incident_id is None:
        return False
    if event.type == EventType.INCIDENT_UPDATE_PUBLISHED:
        # Public updates reach the status page's subscribers instead.
        return (event.data.get("update") or {}).get("audience") == "internal"
    return True


def follower_deliveries(event: Event) -> list[Planned]:
    """A mail to each follower of the event's incident or its services who
    may see the incident and chose this event in their preferences."""
    if not wanted_by_followers(event):
        return []
    follower_ids = set(followers_q(event).values_list("user_id", flat=True))
    if not follower_ids:
        return []
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=follower_ids).values_list(
            "user_id", "followed_events"
        )
    )
    defaults = default_followed_events()
    wanting = [pk for pk in follower_ids if event.type in chosen.get(pk, defaults)]
    return plan_people(event, [], user_ids=wanting, channel=CHANNEL)

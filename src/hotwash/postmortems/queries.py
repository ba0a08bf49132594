"""Read-side queries shared by the pages, the API and the CLI."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from hotwash.accounts.permissions import AnyUser, is_admin
from hotwash.incidents.queries import visible_incidents
from hotwash.postmortems.models import Postmortem, Status


def readable_postmortems(user: AnyUser) -> QuerySet[Postmortem]:
    """Everything `user` may read, as `services.can_read` decides one by one:
    retrospectives, postmortems of incidents they can see, and published
    public ones."""
    postmortems = Postmortem.objects.all()
    shared = Q(status=Status.PUBLISHED, public=True)
    if not user.is_authenticated:
        return postmortems.filter(shared)
    if is_admin(user):
        return postmortems
    return postmortems.filter(
        Q(incident__isnull=True) | Q(incident__in=visible_incidents(user).values("pk")) | shared
    )

"""Read-side queries shared by the pages, the API and the CLI.

Who may read a postmortem is decided here, once: `SHARED_PUBLICLY` says
which postmortems anyone may read without signing in, and
`readable_postmortems` (lists, counts, exports) agrees with
`services.can_read` (one postmortem). The incident's privacy always wins:
a postmortem of a private incident is never shared publicly, whatever its
public flag says. What the API, the Markdown export and the pages report
as "public" is the flag as it takes effect (`is_marked_public`), from the
same rule.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from hotwash.accounts.permissions import AnyUser, is_admin
from hotwash.incidents.queries import visible_incidents
from hotwash.postmortems.models import Postmortem, Status

# Not about a private incident: the only postmortems that may be shared.
SHAREABLE = Q(incident__isnull=True) | Q(incident__private=False)
# Published, marked public, and not about a private incident.
SHARED_PUBLICLY = Q(status=Status.PUBLISHED, public=True) & SHAREABLE


def can_be_shared(postmortem: Postmortem) -> bool:
    """SHAREABLE for one postmortem in hand: not while its incident is
    private (the header form then does not offer sharing)."""
    return postmortem.incident_id is None or not postmortem.incident.private  # type: ignore[union-attr]


def is_marked_public(postmortem: Postmortem) -> bool:
    """The public flag as it takes effect: shared once published. A flag
    left set on a private incident's postmortem counts for nothing."""
    return postmortem.public and can_be_shared(postmortem)


def is_shared_publicly(postmortem: Postmortem) -> bool:
    """The same rule as SHARED_PUBLICLY, for one postmortem in hand."""
    return postmortem.status == Status.PUBLISHED and is_marked_public(postmortem)


def public_postmortems() -> QuerySet[Postmortem]:
    """What the public pages (no sign-in) may show."""
    return Postmortem.objects.filter(SHARED_PUBLICLY)


def readable_postmortems(user: AnyUser) -> QuerySet[Postmortem]:
    """Everything `user` may read, as `services.can_read` decides one by one:
    retrospectives, postmortems of incidents they can see, and those shared
    publicly."""
    postmortems = Postmortem.objects.all()
    if not user.is_authenticated:
        return postmortems.filter(SHARED_PUBLICLY)
    if is_admin(user):
        return postmortems
    return postmortems.filter(
        Q(incident__isnull=True)
        | Q(incident__in=visible_incidents(user).values("pk"))
        | SHARED_PUBLICLY
    )

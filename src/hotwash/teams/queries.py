"""Read-side functions for the service catalog: finding services, their
owners, and the incidents of a service that a reader may see.

The catalog (names, owners, contacts, runbooks) is readable by every
signed-in person, with one exception: declaring an incident creates the
services it names, so a service that only private incidents have named
would tell of them ("payroll-breach"). Such a service appears only to
those who can see one of its incidents, until someone catalogues it (gives
it an owner, a description, a contact, a chat channel, puts it on the
status page, or adds or changes it through the catalog). `visible_services` is that rule; every list, page and API
answer goes through it.

Incidents are not public either: `recent_incidents` goes through
`visible_incidents`, so a private incident is neither listed nor counted
for a reader who cannot see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import AnyUser, is_admin
from hotwash.core.errors import InvalidInput, NotFound
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident, Service
from hotwash.incidents.queries import visible_incidents
from hotwash.teams.models import Team

RECENT_INCIDENTS = 10
QUERY_MAX = 200


def with_owners(services: QuerySet[Service]) -> QuerySet[Service]:
    """Services with their owning teams fetched in one more query."""
    return services.prefetch_related(Prefetch("teams", queryset=Team.objects.order_by("name")))


@dataclass(frozen=True)
class CatalogFilters:
    """What the list of services is narrowed to: text in the name,
    description or public name; an owning team (its short name)."""

    q: str = ""
    team: str = ""

    @classmethod
    def parse(cls, q: object = "", team: object = "") -> CatalogFilters:
        text = " ".join(str(q or "").split())
        if len(text) > QUERY_MAX:
            raise InvalidInput(
                _("Search for at most %(limit)d characters.") % {"limit": QUERY_MAX}, field="q"
            )
        slug = str(team or "").strip()
        if slug and not Team.objects.filter(slug=slug).exists():
            raise InvalidInput(
                _("There is no team with the short name %(team)s.") % {"team": slug},
                field="team",
            )
        return cls(q=text, team=slug)


def visible_services(user: AnyUser) -> QuerySet[Service]:
    """The services `user` may see (the module's docstring has the rule)."""
    services = Service.objects.all()
    if not user.is_authenticated:
        return services.none()
    if is_admin(user):
        return services
    links = Incident.services.through.objects.filter(service_id=OuterRef("pk"))
    owners = Team.services.through.objects.filter(service_id=OuterRef("pk"))
    seen = visible_incidents(user).filter(services=OuterRef("pk"))
    # Added or changed through the catalog (the web, the API, the import).
    catalogued = AuditRecord.objects.filter(
        object_type="incidents.service",
        object_id=Cast(OuterRef("pk"), CharField()),
        action__in=["service.created", "service.updated"],
    )
    return services.filter(
        Exists(owners)
        | ~Exists(links)
        | Exists(seen)
        | Exists(catalogued)
        | ~Q(description="")
        | ~Q(escalation_contact="")
        | ~Q(chat_channel="")
        | Q(public=True)
    )


def can_see_service(user: AnyUser, service: Service) -> bool:
    return visible_services(user).filter(pk=service.pk).exists()


def search_services(user: AnyUser, filters: CatalogFilters | None = None) -> QuerySet[Service]:
    services = visible_services(user).order_by("name")
    if filters is not None and filters.q:
        services = services.filter(
            Q(name__icontains=filters.q)
            | Q(description__icontains=filters.q)
            | Q(public_name__icontains=filters.q)
        )
    if filters is not None and filters.team:
        services = services.filter(teams__slug=filters.team)
    return with_owners(services)


def get_service(user: AnyUser, name: str) -> Service:
    """The service `name`, or NotFound, also when `user` may not see it."""
    service = with_owners(visible_services(user).filter(name=name)).first()
    if service is None:
        raise NotFound(_("No service named %(name)s.") % {"name": name})
    return service


def team_choices() -> list[tuple[str, str]]:
    """(short name, name) of every team, for pickers."""
    return list(Team.objects.order_by("name").values_list("slug", "name"))


def recent_incidents(
    user: AnyUser, service: Service, limit: int = RECENT_INCIDENTS
) -> list[Incident]:
    """The latest incidents of `service` that `user` may see, newest first."""
    return list(
        visible_incidents(user).filter(services=service).order_by("-declared_at", "-pk")[:limit]
    )


def incident_catalog(incident: Incident) -> list[Service]:
    """The incident's services, each with its owners (for the incident
    page; whoever reads the page can see the incident)."""
    return list(with_owners(incident.services.order_by("name")))

"""Who a message about an event reaches: the people a rule's target names
("owning-team", "followers", "participants", "commander", "admins") and
bare addresses, as one `Planned` delivery per person, each in that
person's language.

Privacy is decided here, once for every person channel: a private
incident's event reaches only accounts that can see the incident (its
participants and the admins, as incidents.queries.can_view says), never a
bare address unless an account that can see it has that address (then the
mail goes to the account). Everything is asked in a few queries whatever the
number of people, so a thousand followers cost what ten do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from hotwash.accounts.permissions import admins_q
from hotwash.incidents.models import IncidentRole, Participant, RoleAssignment
from hotwash.incidents.queries import private_readers_q
from hotwash.notifications.models import Event, Follow
from hotwash.notifications.routing import Planned
from hotwash.teams.models import Team

OWNING_TEAM = "owning-team"
FOLLOWERS = "followers"
PARTICIPANTS = "participants"
COMMANDER = "commander"
ADMINS = "admins"
NAMES = (OWNING_TEAM, FOLLOWERS, PARTICIPANTS, COMMANDER, ADMINS)


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    language: str


def who_may_see(users: QuerySet[User], event: Event) -> QuerySet[User]:
    """The active accounts with an address among `users` that may read
    `event`: everyone for a public incident's event; for a private one (at
    the time of the event or now) its participants and the admins."""
    users = users.filter(is_active=True).exclude(email="")
    private = event.private or bool(event.incident_id and event.incident and event.incident.private)
    if not private:
        return users
    if event.incident_id is None:
        return users.filter(admins_q())
    return users.filter(private_readers_q(event.incident_id))


def people(users: QuerySet[User]) -> list[Person]:
    codes = {code for code, _name in settings.LANGUAGES}
    rows = users.order_by("pk").values_list("pk", "email", "profile__language").distinct()
    return [
        Person(pk, email, language if language in codes else settings.LANGUAGE_CODE)
        for pk, email, language in rows
    ]


def services_of(event: Event) -> list[str]:
    incident = event.data.get("incident") or {}
    return list(incident.get("services") or event.data.get("services") or [])


def owning_teams(event: Event) -> QuerySet[Team]:
    """The teams that own the event's incident's services (or, for a
    firing without an incident, the services its alerts name)."""
    incident = event.data.get("incident") or {}
    if incident.get("teams"):
        return Team.objects.filter(slug__in=incident["teams"])
    return Team.objects.filter(services__name__in=services_of(event)).distinct()


def named(event: Event, name: str) -> tuple[QuerySet[User], list[str]]:
    """The accounts and the list addresses `name` stands for."""
    users = User.objects.all()
    if name == OWNING_TEAM:
        teams = list(owning_teams(event).prefetch_related("members"))
        listed = [team.email for team in teams if team.email]
        # A team with a list address is mailed there; without one, each member.
        # A private incident's event never goes to a list: to its members.
        by_member = [t.pk for t in teams if not t.email or event.private]
        return users.filter(teams__in=by_member).distinct(), [] if event.private else listed
    if name == ADMINS:
        return users.filter(admins_q()), []
    if event.incident_id is None:
        return users.none(), []
    if name == PARTICIPANTS:
        ids = Participant.objects.filter(incident_id=event.incident_id).values("user_id")
        return users.filter(pk__in=ids), []
    if name == COMMANDER:
        holders = RoleAssignment.objects.filter(
            incident_id=event.incident_id, role=IncidentRole.COMMANDER, ended_at__isnull=True
        ).values("user_id")
        return users.filter(pk__in=holders), []
    if name == FOLLOWERS:
        return users.filter(pk__in=followers_q(event)), []
    raise ValueError(f"unknown recipient {name!r}")


def followers_q(event: Event) -> QuerySet[Follow, Any]:
    """The ids of who follows the event's incident or one of its services."""
    follows = Q(incident_id=event.incident_id) if event.incident_id else Q(pk__in=[])
    services = services_of(event)
    if services:
        follows |= Q(service__name__in=services)
    return Follow.objects.filter(follows).values("user_id")


def accounts_by_address(addresses: Iterable[str]) -> dict[str, int]:
    """Lower-cased address → the id of the active account that has it."""
    wanted = {address.lower() for address in addresses}
    if not wanted:
        return {}
    rows = (
        User.objects.filter(is_active=True)
        .annotate(address=Lower("email"))
        .filter(address__in=wanted)
        .order_by("pk")
        .values_list("address", "pk")
    )
    found: dict[str, int] = {}
    for address, pk in rows:
        found.setdefault(address, pk)
    return found


def plan_people(
    event: Event,
    names_and_addresses: Iterable[str],
    *,
    channel: str,
    user_ids: Iterable[int] = (),
    rule: str = "",
    target: dict[str, Any] | None = None,
    language: str = "",
) -> list[Planned]:
    """One Planned per person that `names_and_addresses` reach and may read
    the event: accounts keyed `<channel>:user:<id>` (so a person named twice
    hears once), bare addresses `<channel>:addr:<address>`; `user_ids`
    adds accounts by id."""
    account_ids: set[int] = set(user_ids)
    user_sets: list[QuerySet[User]] = []
    addresses: list[str] = []
    for item in names_and_addresses:
        if item in NAMES:
            users, listed = named(event, item)
            user_sets.append(users)
            addresses.extend(listed)
        else:
            addresses.append(item)
    owners = accounts_by_address(addresses)
    bare: list[str] = []
    for address in dict.fromkeys(addresses):
        owner = owners.get(address.lower())
        if owner is not None:
            account_ids.add(owner)
        else:
            bare.append(address)
    query = Q(pk__in=account_ids)
    for users in user_sets:
        query |= Q(pk__in=users.values("pk"))
    planned = [
        Planned(
            channel=channel,
            key=f"{channel}:user:{person.id}",
            target=target or {},
            rule=rule,
            recipient_id=person.id,
            address=person.email,
            language=person.language,
        )
        for person in people(who_may_see(User.objects.filter(query), event))
    ]
    if not event.private:
        planned.extend(
            Planned(
                channel=channel,
                key=f"{channel}:addr:{address.lower()}",
                target=target or {},
                rule=rule,
                address=address,
                language=language or settings.LANGUAGE_CODE,
            )
            for address in bare
        )
    return planned

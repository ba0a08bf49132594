"""Write-side functions for the service catalog: services (who owns them,
who to escalate to, where the runbooks are) and the teams that own them.

Each write validates everything first, then saves the row, its owners and
one audit record in one transaction; bad input raises a DomainError naming
the field before anything is written. The web pages, the API, the YAML
import (`hotwash import-services`) and the demo all come through here.

Who may change the catalog (docs/communications.md#the-service-catalog-services-have-owners):
- admins: any service, and teams;
- responders: add a service; change a service their team owns, or one no
  team owns yet (the services an incident declaration creates on the fly);
- viewers: read only.
`actor=None` is Hotwash itself (the import command, the demo).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond, is_admin
from hotwash.core import text as core_text
from hotwash.core.audit import record_audit
from hotwash.core.errors import Conflict, InvalidInput, PermissionDenied
from hotwash.core.secret_env import env_name_problem
from hotwash.incidents.models import Service
from hotwash.incidents.services import TEXT_MAX, clean_services
from hotwash.teams.models import Team
from hotwash.teams.queries import can_see_service

Actor = User | AnonymousUser | None

NAME_MAX = 100
CONTACT_MAX = 200
CHANNEL_MAX = 100
RUNBOOK_TITLE_MAX = 200
RUNBOOK_URL_MAX = 2000
RUNBOOKS_MAX = 50
URL_SCHEMES = ("http", "https")

# The fields a service has in the catalog, as the API, the form and the
# YAML file name them.
SERVICE_FIELDS = (
    "name",
    "description",
    "owners",
    "escalation_contact",
    "runbooks",
    "chat_channel",
    "public",
    "public_name",
)
TEAM_FIELDS = ("name", "email", "pagerduty_routing_key_env", "chat_channel", "members")


# --- permissions ------------------------------------------------------------


def can_add_service(user: Actor) -> bool:
    return user is None or can_respond(user)


def can_edit_service(user: Actor, service: Service) -> bool:
    """Admins; responders in a team that owns it, or any responder while
    no team owns it."""
    if user is None or is_admin(user):
        return True
    if not isinstance(user, User) or not can_respond(user):
        return False
    owners = Team.objects.filter(services=service)
    return not owners.exists() or owners.filter(members=user).exists()


def _require_add(actor: Actor) -> None:
    if not can_add_service(actor):
        raise PermissionDenied(_("Only responders and admins can add services to the catalog."))


def _require_edit(actor: Actor, service: Service) -> None:
    if not can_edit_service(actor, service):
        raise PermissionDenied(
            _("Only admins and members of a team that owns %(service)s can change it.")
            % {"service": service.name}
        )


def _require_admin(actor: Actor) -> None:
    if actor is not None and not is_admin(actor):
        raise PermissionDenied(_("Only admins can change teams."))


# --- validation -------------------------------------------------------------


def clean_name(value: object) -> str:
    """A service name, by the same rules as an incident's services."""
    try:
        names = clean_services([core_text.one_line(str(value or ""))])
    except InvalidInput as error:
        raise InvalidInput(error.message, field="name") from None
    if not names:
        raise InvalidInput(_("Give the service a name."), field="name")
    return names[0]


def _line(value: object, field: str, limit: int) -> str:
    return core_text.clean_text(value, field=field, limit=limit, fold=True)


def clean_url(value: object, field: str = "runbooks") -> str:
    """An absolute http or https address (anything else, such as
    javascript:, is refused: these become links on every incident page)."""
    url = str(value or "").strip()
    if not url:
        raise InvalidInput(_("Give the runbook's address."), field=field)
    if len(url) > RUNBOOK_URL_MAX or any(ch.isspace() for ch in url):
        raise InvalidInput(_("%(url)s is not a web address.") % {"url": url[:100]}, field=field)
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in URL_SCHEMES or not parts.hostname:
        raise InvalidInput(
            _("%(url)s is not an http or https address.") % {"url": url[:100]}, field=field
        )
    return url


def clean_runbooks(value: object) -> list[dict[str, str]]:
    """[{"title", "url"}]: each with a title and an http(s) address."""
    if value is None or value == "":
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput(_("Runbooks are a list of titles and addresses."), field="runbooks")
    if len(value) > RUNBOOKS_MAX:
        raise InvalidInput(
            _("A service can have at most %(limit)d runbooks.") % {"limit": RUNBOOKS_MAX},
            field="runbooks",
        )
    runbooks: list[dict[str, str]] = []
    for position, entry in enumerate(value, start=1):
        if not isinstance(entry, Mapping):
            raise InvalidInput(
                _("Runbook %(number)d needs a title and an address.") % {"number": position},
                field="runbooks",
            )
        unknown = sorted(set(entry) - {"title", "url"})
        if unknown:
            raise InvalidInput(
                _("Runbook %(number)d: unknown field %(field)s (a runbook has a title and a url).")
                % {"number": position, "field": unknown[0]},
                field="runbooks",
            )
        title = _line(entry.get("title"), "runbooks", RUNBOOK_TITLE_MAX)
        if not title:
            raise InvalidInput(
                _("Runbook %(number)d needs a title.") % {"number": position}, field="runbooks"
            )
        url = clean_url(entry.get("url"))
        runbooks.append({"title": title, "url": url})
    return runbooks


def clean_owners(value: object) -> list[Team]:
    """Teams by short name (slug), each once; an unknown one is named."""
    if value is None or value == "":
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(_("Owners are a list of team short names."), field="owners")
    teams: list[Team] = []
    slugs: list[str] = []
    for item in value:
        if isinstance(item, Team):
            team = item
        else:
            slug = str(item or "").strip()
            if not slug:
                continue
            found = Team.objects.filter(slug=slug).first()
            if found is None:
                raise InvalidInput(
                    _("There is no team with the short name %(team)s.") % {"team": slug},
                    field="owners",
                )
            team = found
        if team.slug not in slugs:
            slugs.append(team.slug)
            teams.append(team)
    return teams


def _clean_bool(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    raise InvalidInput(_("%(field)s must be true or false.") % {"field": field}, field=field)


def _clean_service_field(field: str, value: Any) -> Any:
    if field == "name":
        return clean_name(value)
    if field == "description":
        return core_text.clean_text(value, field=field, limit=TEXT_MAX)
    if field == "owners":
        return clean_owners(value)
    if field == "escalation_contact":
        return _line(value, field, CONTACT_MAX)
    if field == "runbooks":
        return clean_runbooks(value)
    if field == "chat_channel":
        return _line(value, field, CHANNEL_MAX)
    if field == "public":
        return _clean_bool(value, field)
    if field == "public_name":
        return _line(value, field, NAME_MAX)
    raise InvalidInput(_("Unknown field %(field)s.") % {"field": field}, field=field)


def _check_name_free(name: str, service: Service | None = None) -> None:
    taken = Service.objects.filter(name=name)
    if service is not None:
        taken = taken.exclude(pk=service.pk)
    if taken.exists():
        raise _name_taken(name)


def _name_taken(name: str) -> Conflict:
    return Conflict(_("There is already a service named %(name)s.") % {"name": name}, field="name")


# --- services ---------------------------------------------------------------


def owner_slugs(service: Service) -> list[str]:
    return sorted(Team.objects.filter(services=service).values_list("slug", flat=True))


def _snapshot(service: Service) -> dict[str, Any]:
    """The service's catalog fields as the audit record stores them."""
    return {
        "name": service.name,
        "description": service.description,
        "owners": owner_slugs(service) if service.pk else [],
        "escalation_contact": service.escalation_contact,
        "runbooks": list(service.runbooks or []),
        "chat_channel": service.chat_channel,
        "public": service.public,
        "public_name": service.public_name,
    }


def clean_service_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of `changes` cleaned (owners as Teams), or the first
    problem raised."""
    return {field: _clean_service_field(field, value) for field, value in changes.items()}


def create_service(
    *,
    actor: Actor,
    name: object,
    description: object = "",
    owners: object = (),
    escalation_contact: object = "",
    runbooks: object = (),
    chat_channel: object = "",
    public: object = False,
    public_name: object = "",
    now: datetime | None = None,
) -> Service:
    """Add a service to the catalog, with its owners and an audit record."""
    _require_add(actor)
    fields = clean_service_changes(
        {
            "name": name,
            "description": description,
            "owners": owners,
            "escalation_contact": escalation_contact,
            "runbooks": list(runbooks) if isinstance(runbooks, tuple) else runbooks,
            "chat_channel": chat_channel,
            "public": public,
            "public_name": public_name,
        }
    )
    teams: list[Team] = fields.pop("owners")
    with transaction.atomic():
        service = Service.objects.select_for_update().filter(name=fields["name"]).first()
        if service is None:
            service = Service.objects.create(**fields)
        elif actor is not None and not can_see_service(actor, service):
            # Only private incidents the actor cannot see have named it:
            # "already exists" would tell of them, so it joins the catalog
            # as if it were new (its incidents stay as private as they are).
            for field, value in fields.items():
                setattr(service, field, value)
            service.save()
        else:
            raise _name_taken(fields["name"])
        service.teams.set(teams)
        record_audit(
            actor=actor, action="service.created", obj=service, changes=_snapshot(service), now=now
        )
    return service


def update_service(
    service: Service, *, actor: Actor, changes: Mapping[str, Any], now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Change the fields in `changes` (names from SERVICE_FIELDS). Returns
    what changed, {field: {"from", "to"}}: empty when nothing did (and then
    nothing is written)."""
    _require_edit(actor, service)
    cleaned = clean_service_changes(changes)
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        before = _snapshot(locked)
        if "name" in cleaned:
            _check_name_free(cleaned["name"], locked)
        teams: list[Team] | None = cleaned.pop("owners", None)
        after = dict(before)
        after.update(cleaned)
        if teams is not None:
            after["owners"] = sorted(team.slug for team in teams)
        diff = {
            field: {"from": before[field], "to": after[field]}
            for field in SERVICE_FIELDS
            if before[field] != after[field]
        }
        if not diff:
            return {}
        for field, value in cleaned.items():
            setattr(locked, field, value)
        locked.save()
        if teams is not None and "owners" in diff:
            locked.teams.set(teams)
        record_audit(actor=actor, action="service.updated", obj=locked, changes=diff, now=now)
    for field in cleaned:
        setattr(service, field, getattr(locked, field))
    return diff


# --- teams (the import's `teams:`) -------------------------------------------


def clean_slug(value: object) -> str:
    slug = str(value or "").strip()
    if not slug:
        raise InvalidInput(_("Give the team a short name."), field="slug")
    if len(slug) > 50 or not all((ch.isalnum() and ch.isascii()) or ch in "-_" for ch in slug):
        raise InvalidInput(
            _(
                "%(slug)s is not a short name: use at most 50 letters, digits, hyphens "
                "and underscores."
            )
            % {"slug": slug[:60]},
            field="slug",
        )
    return slug


def _clean_email(value: object) -> str:
    email = str(value or "").strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(
            _("%(email)s is not an email address.") % {"email": email[:100]}, field="email"
        ) from None
    return email


def _clean_variable(value: object) -> str:
    """A team's PagerDuty key source: the absolute path of a secret file, or
    an environment variable Hotwash reads for what is stored in the database
    (HOTWASH_SECRET_..., core/secret_env.py), since the channel reads it
    from this row."""
    name = str(value or "").strip()
    if not name or name.startswith("/"):
        return name[:100]
    problem = env_name_problem(name)
    if problem is not None or len(name) > 100:
        raise InvalidInput(
            _("%(name)s: %(problem)s")
            % {"name": name[:100], "problem": problem or _("Give a shorter name.")},
            field="pagerduty_routing_key_env",
        )
    return name


def _clean_members(value: object) -> list[User]:
    if value is None or value == "":
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(_("Members are a list of usernames."), field="members")
    wanted = [str(item).strip() for item in value if str(item).strip()]
    found = {u.username: u for u in User.objects.filter(username__in=wanted, is_active=True)}
    missing = [name for name in wanted if name not in found]
    if missing:
        raise InvalidInput(
            _("There is no active user named %(username)s.") % {"username": missing[0]},
            field="members",
        )
    return [found[name] for name in dict.fromkeys(wanted)]


def _clean_team_field(field: str, value: Any) -> Any:
    if field == "name":
        name = _line(value, field, 100)
        if not name:
            raise InvalidInput(_("Give the team a name."), field="name")
        return name
    if field == "email":
        return _clean_email(value)
    if field == "pagerduty_routing_key_env":
        return _clean_variable(value)
    if field == "chat_channel":
        return _line(value, field, CHANNEL_MAX)
    if field == "members":
        return _clean_members(value)
    raise InvalidInput(_("Unknown field %(field)s.") % {"field": field}, field=field)


def _team_snapshot(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "email": team.email,
        "pagerduty_routing_key_env": team.pagerduty_routing_key_env,
        "chat_channel": team.chat_channel,
        "members": sorted(team.members.values_list("username", flat=True)) if team.pk else [],
    }


def save_team(
    slug: object, *, actor: Actor, changes: Mapping[str, Any], now: datetime | None = None
) -> tuple[Team, str, dict[str, dict[str, Any]]]:
    """Create the team `slug` or change the fields of `changes` (names from
    TEAM_FIELDS; a new team needs a name). Returns the team, "created",
    "updated" or "unchanged", and what changed."""
    _require_admin(actor)
    slug = clean_slug(slug)
    cleaned = {field: _clean_team_field(field, value) for field, value in changes.items()}
    members: list[User] | None = cleaned.pop("members", None)
    with transaction.atomic():
        team = Team.objects.select_for_update().filter(slug=slug).first()
        name = cleaned.get("name")
        if name is not None and Team.objects.filter(name=name).exclude(slug=slug).exists():
            raise Conflict(
                _("There is already a team named %(name)s.") % {"name": name}, field="name"
            )
        if team is None:
            if name is None:
                raise InvalidInput(_("Give the team a name."), field="name")
            team = Team.objects.create(slug=slug, **cleaned)
            team.members.set(members or [])
            record_audit(
                actor=actor, action="team.created", obj=team, changes=_team_snapshot(team), now=now
            )
            return team, "created", {}
        before = _team_snapshot(team)
        after = {**before, **cleaned}
        if members is not None:
            after["members"] = sorted(user.username for user in members)
        diff = {
            field: {"from": before[field], "to": after[field]}
            for field in TEAM_FIELDS
            if before[field] != after[field]
        }
        if not diff:
            return team, "unchanged", {}
        for field, value in cleaned.items():
            setattr(team, field, value)
        team.save()
        if members is not None and "members" in diff:
            team.members.set(members)
        record_audit(actor=actor, action="team.updated", obj=team, changes=diff, now=now)
    return team, "updated", diff

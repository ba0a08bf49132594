"""The service catalog from a YAML file (`hotwash import-services FILE`).

The shape (docs/communications.md#the-service-catalog-services-have-owners; an example ships in
docs/communications/catalog.example.yaml):

    teams:                      # optional; created or changed by slug
      - slug: platform
        name: Platform
        email: platform@example.org
        pagerduty_routing_key_env: HOTWASH_SECRET_PAGERDUTY_PLATFORM
        chat_channel: "#platform"
        members: [sam, jonas]
    services:                   # created or changed by name
      - name: payments API
        description: Takes card payments.
        owners: [platform]
        escalation_contact: Platform on-call, +44 20 7946 0000
        runbooks:
          - {title: Payments runbook, url: "https://wiki.example.org/payments"}
        chat_channel: "#payments"
        public: true
        public_name: Payments

A field left out of an entry keeps its current value (a new entry takes the
default); `owners`, `runbooks` and `members` replace the whole list. The file
is read and its shape checked first (pydantic, like Hotwash's other YAML
files: hotwash.core.yaml_config); then every entry goes through the same
service functions as the web and the API, teams first, in one transaction:
a mistake anywhere changes nothing. Running the same file twice changes
nothing the second time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from pydantic import BaseModel, ConfigDict, Field

from hotwash.core.errors import DomainError
from hotwash.core.yaml_config import read_mapping, validate
from hotwash.envconfig import ConfigurationError
from hotwash.incidents.models import Service
from hotwash.teams import services
from hotwash.teams.services import Actor


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RunbookEntry(_Entry):
    title: str
    url: str


class ServiceEntry(_Entry):
    name: str
    description: str = ""
    owners: list[str] = Field(default_factory=list)
    escalation_contact: str = ""
    runbooks: list[RunbookEntry] = Field(default_factory=list)
    chat_channel: str = ""
    public: bool = False
    public_name: str = ""


class TeamEntry(_Entry):
    slug: str
    name: str | None = None
    email: str = ""
    pagerduty_routing_key_env: str = ""
    chat_channel: str = ""
    members: list[str] = Field(default_factory=list)


class CatalogFile(_Entry):
    teams: list[TeamEntry] = Field(default_factory=list)
    services: list[ServiceEntry] = Field(default_factory=list)


class ImportFailed(Exception):
    """The file was refused; the message names the entry and the field.
    Nothing was changed."""


@dataclass(frozen=True)
class Change:
    kind: str  # "team" or "service"
    key: str  # slug or name
    outcome: str  # "created", "updated" or "unchanged"
    fields: tuple[str, ...] = ()


@dataclass
class ImportReport:
    changes: list[Change] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for change in self.changes if change.outcome == outcome)


def read_catalog(path: Path) -> CatalogFile:
    """The file at `path`, its shape checked; ImportFailed otherwise."""
    try:
        data = read_mapping(path, "service catalog", shape="teams: and services: lists")
        catalog = validate(CatalogFile, data, f"The service catalog {path}")
    except ConfigurationError as error:
        raise ImportFailed(str(error)) from None
    _refuse_repeats([team.slug for team in catalog.teams], "teams", "slug")
    _refuse_repeats([service.name.strip() for service in catalog.services], "services", "name")
    return catalog


def _refuse_repeats(keys: list[str], section: str, key: str) -> None:
    repeated = [value for value, times in Counter(keys).items() if times > 1]
    if repeated:
        raise ImportFailed(f"{section}: the {key} {repeated[0]!r} is given twice")


def import_catalog(
    catalog: CatalogFile, *, actor: Actor = None, dry_run: bool = False, now: datetime | None = None
) -> ImportReport:
    """Apply `catalog`, all of it or nothing. With `dry_run`, report what
    would change and change nothing."""
    report = ImportReport()
    with transaction.atomic():
        for position, team in enumerate(catalog.teams):
            where = f"teams[{position}] ({team.slug})"
            _guarded(where, lambda team=team: report.changes.append(_team(team, actor, now)))
        for position, entry in enumerate(catalog.services):
            where = f"services[{position}] ({entry.name})"
            _guarded(where, lambda entry=entry: report.changes.append(_service(entry, actor, now)))
        if dry_run:
            transaction.set_rollback(True)
    return report


def _guarded(where: str, apply: Any) -> None:
    try:
        apply()
    except DomainError as error:
        named = f".{error.field}" if error.field else ""
        raise ImportFailed(f"{where}{named}: {error.message}") from None


def _given(entry: BaseModel, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields the file gave for this entry (the others keep their value)."""
    data = entry.model_dump(include=entry.model_fields_set)
    return {name: value for name, value in data.items() if name not in leave_out}


def _team(entry: TeamEntry, actor: Actor, now: datetime | None) -> Change:
    team, outcome, diff = services.save_team(
        entry.slug, actor=actor, changes=_given(entry, leave_out=("slug",)), now=now
    )
    return Change("team", team.slug, outcome, tuple(diff))


def _service(entry: ServiceEntry, actor: Actor, now: datetime | None) -> Change:
    fields = _given(entry)
    name = services.clean_name(entry.name)
    existing = Service.objects.filter(name=name).first()
    if existing is None:
        service = services.create_service(actor=actor, **fields, now=now)
        return Change("service", service.name, "created")
    fields.pop("name", None)
    diff = services.update_service(existing, actor=actor, changes=fields, now=now)
    return Change("service", existing.name, "updated" if diff else "unchanged", tuple(diff))

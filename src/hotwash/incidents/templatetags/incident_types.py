"""The incident page's type, custom fields and the roles its type needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotwash.incidents import fields as custom_fields
from hotwash.incidents.models import Incident, IncidentRole
from hotwash.policies import incident_type

register = template.Library()

# Whole sentences per role, so each language can say them its own way.
ROLE_NEEDED: dict[str, Promise] = {
    IncidentRole.COMMANDER: _("This type needs an incident commander."),
    IncidentRole.SCRIBE: _("This type needs a scribe."),
    IncidentRole.COMMUNICATIONS: _("This type needs a communications lead."),
    IncidentRole.OPERATIONS: _("This type needs an operations lead."),
}


@dataclass(frozen=True)
class TypeFacts:
    key: str
    name: str
    fields: list[custom_fields.ShownField]


@register.filter
def type_name(key: str) -> str:
    """An incident type's name in the reader's language."""
    return custom_fields.type_name(str(key))


@register.simple_tag
def type_facts(incident: Incident) -> TypeFacts:
    """The incident's type by name and its fields as the reader says them."""
    return TypeFacts(
        key=incident.type,
        name=custom_fields.type_name(incident.type),
        fields=custom_fields.shown_fields(incident.type, dict(incident.fields or {})),
    )


@register.simple_tag
def roles_needed(incident: Incident, rows: Iterable[Any]) -> list[str]:
    """A sentence per role the incident's type needs that nobody holds
    (`rows`: the page's role rows, each with `role` and `holder`), while the
    incident is open."""
    definition = incident_type(incident.type)
    if definition is None or not incident.is_open:
        return []
    held = {row.role for row in rows if row.holder is not None}
    return [str(ROLE_NEEDED[role]) for role in definition.roles if role not in held]

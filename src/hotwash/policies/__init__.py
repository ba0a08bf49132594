"""Organisation policies: severity definitions, when a postmortem is
required and when it is due, and when action items are due. Loaded from
YAML, validated at start-up, cached."""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.utils.translation import get_language
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hotwash.core.yaml_config import read_mapping, validate

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")


class LocalisedText(BaseModel):
    """A text in English and French; English is required and the fallback."""

    model_config = ConfigDict(extra="forbid")
    en: str = Field(min_length=1)
    fr: str = ""

    def get(self, language: str | None = None) -> str:
        language = (language or get_language() or "en")[:2]
        return (self.fr if language == "fr" else "") or self.en


class SeverityDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: LocalisedText
    description: LocalisedText
    # How often stakeholders should hear about an open incident of this
    # severity; the communications lead is reminded when no update was
    # published for this long (None: no reminder).
    update_every_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)


Language = Literal["en", "fr"]


class UpdatePolicy(BaseModel):
    """Stakeholder updates (hotwash.statuspage, docs/communications.md#stakeholder-updates)."""

    model_config = ConfigDict(extra="forbid")
    # The languages a public update must be written in.
    public_languages: list[Language] = Field(default_factory=lambda: list[Language](["en", "fr"]))
    # A YAML file of starting texts per status that replaces the shipped
    # one (hotwash/statuspage/update_templates.yaml); empty: the shipped one.
    templates_file: str = ""


class SharingPolicy(BaseModel):
    """Public versions of postmortems (hotwash.sharing, docs/sharing.md)."""

    model_config = ConfigDict(extra="forbid")
    # Regular expressions whose matches a public version replaces by "[reference
    # removed]": ticket references and anything else the organisation keeps
    # to itself. Checked (compiled) at start-up.
    patterns: list[str] = Field(default_factory=list)
    # On: a public version with an unresolved blameless-language finding
    # cannot be published.
    block_on_blameless_findings: bool = False

    @field_validator("patterns")
    @classmethod
    def _compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"sharing pattern {pattern!r} is not valid: {error}") from None
        return patterns


class PostmortemRule(BaseModel):
    """What resolving an incident of one severity asks for."""

    model_config = ConfigDict(extra="forbid")
    # Required: drafted on resolution, counted as overdue after its due date.
    # Not required: drafted only when `draft` is true (optional, lightweight).
    required: bool
    draft: bool = True
    template: str = Field(min_length=1)
    due_days: int = Field(ge=0, le=365)
    business_days: bool = False
    # How many named reviewers must approve before it is approved.
    approvals: int = Field(default=1, ge=1, le=10)

    def due_date(self, resolved_on: date) -> date:
        return add_days(resolved_on, self.due_days, business_days=self.business_days)


class ActionItemPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Days from creation to the default due date, by the incident's severity;
    # `other` for lower severities and items with no incident.
    due_days: dict[int, int] = Field(default_factory=lambda: {1: 15, 2: 30})
    other_due_days: int = Field(default=60, ge=1, le=3650)

    def due_days_for(self, severity: int | None) -> int:
        if severity is None:
            return self.other_due_days
        return self.due_days.get(severity, self.other_due_days)


# A key people and tools type: lower-case words joined by hyphens
# ("privacy-breach", "people_affected" for fields: underscores allowed there).
TYPE_KEY = r"^[a-z][a-z0-9-]{0,39}$"
FIELD_KEY = r"^[a-z][a-z0-9_]{0,39}$"

FieldKind = Literal["text", "number", "choice", "date", "person", "yes-no"]
ROLE_KEYS = ("commander", "scribe", "communications", "operations")
TEMPLATE_KEYS = ("default", "lightweight", "project", "success")


class FieldChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=FIELD_KEY)
    name: LocalisedText


class CustomFieldDefinition(BaseModel):
    """One field an incident type asks for, on declaring and on the incident
    page (hotwash.incidents.fields validates the values)."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=FIELD_KEY)
    name: LocalisedText
    kind: FieldKind
    required: bool = False
    help: LocalisedText | None = None
    # For `choice` fields only: the values one may pick.
    choices: list[FieldChoice] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_choices(self) -> CustomFieldDefinition:
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"field {self.key!r} is a choice field with no choices")
        if self.kind != "choice" and self.choices:
            raise ValueError(f"field {self.key!r} has choices but is a {self.kind} field")
        keys = [choice.key for choice in self.choices]
        if len(keys) != len(set(keys)):
            raise ValueError(f"field {self.key!r} lists a choice twice")
        return self


class IncidentTypeDefinition(BaseModel):
    """A kind of incident: what declaring one presets and asks for."""

    model_config = ConfigDict(extra="forbid")
    name: LocalisedText
    description: LocalisedText | None = None
    default_severity: int | None = Field(default=None, ge=1, le=4)
    # Incidents of this type are declared private unless the declarer says otherwise.
    private: bool = False
    # The postmortem template drafted on resolution (None: the severity's rule decides).
    template: str | None = None
    # The roles an incident of this type needs filled (the page asks for them).
    roles: list[str] = Field(default_factory=lambda: ["commander"])
    fields: list[CustomFieldDefinition] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> IncidentTypeDefinition:
        unknown = sorted(set(self.roles) - set(ROLE_KEYS))
        if unknown:
            raise ValueError(f"unknown roles {unknown}; roles are {list(ROLE_KEYS)}")
        if self.template is not None and self.template not in TEMPLATE_KEYS:
            raise ValueError(f"template must be one of {list(TEMPLATE_KEYS)}")
        keys = [field.key for field in self.fields]
        if len(keys) != len(set(keys)):
            raise ValueError("a type lists a field key twice")
        return self

    def field(self, key: str) -> CustomFieldDefinition | None:
        return next((field for field in self.fields if field.key == key), None)


class FactorDefinition(BaseModel):
    """One contributing factor of the organisation's taxonomy (themes)."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=TYPE_KEY)
    name: LocalisedText
    description: LocalisedText | None = None


class Policies(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severities: dict[int, SeverityDefinition]
    default_severity: int = 3
    postmortems: dict[int, PostmortemRule]
    action_items: ActionItemPolicy = Field(default_factory=ActionItemPolicy)
    updates: UpdatePolicy = Field(default_factory=UpdatePolicy)
    sharing: SharingPolicy = Field(default_factory=SharingPolicy)
    # Incident types, by key, in the order forms list them; the first is
    # the default unless `default_incident_type` names another.
    incident_types: dict[str, IncidentTypeDefinition]
    default_incident_type: str = "outage"
    # The contributing factors postmortems are tagged with (themes).
    contributing_factors: list[FactorDefinition]

    @model_validator(mode="after")
    def _check_types_and_factors(self) -> Policies:
        for key in self.incident_types:
            if not re.match(TYPE_KEY, key):
                raise ValueError(
                    f"incident type key {key!r} must be lower-case words joined by hyphens"
                )
        if self.default_incident_type not in self.incident_types:
            raise ValueError("default_incident_type must be one of the incident_types")
        factor_keys = [factor.key for factor in self.contributing_factors]
        if len(factor_keys) != len(set(factor_keys)):
            raise ValueError("contributing_factors lists a key twice")
        return self

    @model_validator(mode="after")
    def _check_severities(self) -> Policies:
        if set(self.severities) != {1, 2, 3, 4}:
            raise ValueError("severities must define exactly the levels 1, 2, 3 and 4")
        if self.default_severity not in self.severities:
            raise ValueError("default_severity must be one of 1, 2, 3, 4")
        if set(self.postmortems) != {1, 2, 3, 4}:
            raise ValueError("postmortems must have a rule for each of the levels 1, 2, 3 and 4")
        if set(self.action_items.due_days) - {1, 2, 3, 4}:
            raise ValueError("action_items.due_days keys must be severity levels 1 to 4")
        if any(days < 1 for days in self.action_items.due_days.values()):
            raise ValueError("action_items.due_days values must be at least 1 day")
        return self


def add_days(start: date, days: int, *, business_days: bool) -> date:
    """`days` calendar days after `start`, or `days` working days (Monday to
    Friday) after it when `business_days` is set."""
    if not business_days:
        return start + timedelta(days=days)
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


@functools.cache
def load_policies() -> Policies:
    """The policies in force: the shipped defaults, with each top-level
    section of HOTWASH_POLICY_FILE (if set) replacing the default one."""
    data = read_mapping(DEFAULTS_FILE, "policy file")
    source = str(DEFAULTS_FILE)
    if settings.POLICY_FILE:
        data.update(
            read_mapping(Path(settings.POLICY_FILE), "policy file", variable="HOTWASH_POLICY_FILE")
        )
        source = settings.POLICY_FILE
    return validate(Policies, data, f"Policy file {source}")


def severity_definition(level: int) -> SeverityDefinition:
    return load_policies().severities[level]


def postmortem_rule(level: int) -> PostmortemRule:
    return load_policies().postmortems[level]


def update_policy() -> UpdatePolicy:
    return load_policies().updates


def sharing_policy() -> SharingPolicy:
    return load_policies().sharing


def incident_types() -> dict[str, IncidentTypeDefinition]:
    return load_policies().incident_types


def incident_type(key: str) -> IncidentTypeDefinition | None:
    """The type of `key`; None for a key the policy no longer defines (an
    incident keeps its key; pages then show the key itself)."""
    return load_policies().incident_types.get(key)


def default_incident_type() -> str:
    return load_policies().default_incident_type


def contributing_factors() -> list[FactorDefinition]:
    return load_policies().contributing_factors

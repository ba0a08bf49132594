"""The starting texts of stakeholder updates: one per public status, in
English and French, which the update form pre-fills.

Shipped in update_templates.yaml next to this file; an organisation names
its own file in the policy file (`updates: {templates_file: ...}`), which
replaces the shipped one whole. Read and validated at start-up
(hotwash.wiring.startup), so a wrong file stops the start.
"""

from __future__ import annotations

import functools
import string
from datetime import timedelta
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from hotwash.core.yaml_config import read_mapping, validate
from hotwash.incidents.display import format_duration
from hotwash.incidents.models import Incident
from hotwash.policies import load_policies, update_policy
from hotwash.statuspage.models import PublicStatus

SHIPPED_FILE = Path(__file__).with_name("update_templates.yaml")
PLACEHOLDERS = frozenset({"services", "interval"})


class Starting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)

    @model_validator(mode="after")
    def _known_placeholders(self) -> Starting:
        for text in (self.en, self.fr):
            names = {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}
            unknown = names - PLACEHOLDERS
            if unknown:
                raise ValueError(
                    f"unknown placeholder {{{sorted(unknown)[0]}}}; use {{services}} or {{interval}}"
                )
        return self


class UpdateTemplates(RootModel[dict[PublicStatus, Starting]]):
    @model_validator(mode="after")
    def _every_status(self) -> UpdateTemplates:
        missing = set(PublicStatus.values) - {str(key) for key in self.root}
        if missing:
            raise ValueError(f"a text is needed for every status; missing: {sorted(missing)}")
        return self


@functools.cache
def load_update_templates() -> UpdateTemplates:
    configured = update_policy().templates_file
    path = Path(configured) if configured else SHIPPED_FILE
    data = read_mapping(path, "update templates file", variable="HOTWASH_POLICY_FILE")
    return validate(UpdateTemplates, data, f"Update templates file {path}")


def starting_texts(incident: Incident, status: str) -> dict[str, str]:
    """The starting text for `status` in both languages, filled in for
    `incident` (its services and its severity's update interval)."""
    template = load_update_templates().root[PublicStatus(status)]
    services = sorted(incident.services.values_list("name", flat=True))
    texts = {}
    for language in ("en", "fr"):
        with translation.override(language):
            values = {
                "services": ", ".join(services) if services else _("our services"),
                "interval": _interval(incident.severity),
            }
            texts[language] = getattr(template, language).format(**values)
    return texts


def _interval(severity: int) -> str:
    minutes = load_policies().severities[severity].update_every_minutes
    if minutes is None:
        # The severity sets no interval: a promise the team can keep.
        return _("a few hours")
    return format_duration(timedelta(minutes=minutes))

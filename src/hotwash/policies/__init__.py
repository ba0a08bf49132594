"""Organisation policies: severity definitions and (later) triggers, due dates
and templates. Loaded from YAML, validated at start-up, cached."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import get_language
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hotwash.envconfig import ConfigurationError

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


class Policies(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severities: dict[int, SeverityDefinition]
    default_severity: int = 3

    @model_validator(mode="after")
    def _check_severities(self) -> Policies:
        if set(self.severities) != {1, 2, 3, 4}:
            raise ValueError("severities must define exactly the levels 1, 2, 3 and 4")
        if self.default_severity not in self.severities:
            raise ValueError("default_severity must be one of 1, 2, 3, 4")
        return self


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigurationError(f"Cannot read policy file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"Policy file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"Policy file {path} must contain a mapping at the top level")
    return data


@functools.cache
def load_policies() -> Policies:
    """The policies in force: the shipped defaults, with each top-level
    section of HOTWASH_POLICY_FILE (if set) replacing the default one."""
    data = _read_yaml(DEFAULTS_FILE)
    source = str(DEFAULTS_FILE)
    if settings.POLICY_FILE:
        data.update(_read_yaml(Path(settings.POLICY_FILE)))
        source = settings.POLICY_FILE
    try:
        return Policies.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"Policy file {source} is invalid: {problems}") from None


def severity_definition(level: int) -> SeverityDefinition:
    return load_policies().severities[level]

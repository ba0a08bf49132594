"""The trigger policy file: which events open, propose or notify incidents.

The shipped defaults (defaults.yaml beside this module) are merged with the
organisation's file (HOTWASH_TRIGGER_POLICY_FILE): a policy or heartbeat with
a shipped id/name changes only the fields it gives, a new id adds one, and
`enabled: false` switches one off (`disabled: true` is accepted too). The result is validated once, at start-up,
and cached; a wrong file stops Hotwash with the policy and field named.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from django.conf import settings
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from hotwash.core.yaml_config import merge_entries, read_mapping, switch_of, validate
from hotwash.envconfig import ConfigurationError

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")
FILE_VARIABLE = "HOTWASH_TRIGGER_POLICY_FILE"

Mode = Literal["declare", "propose", "notify"]
TriggerName = Literal[
    "downtime",
    "data_loss",
    "on_call_intervention",
    "resolution_time",
    "monitoring_failure",
    "detection_gap",
]
# Triggers that make sense once: a second enabled policy would act twice on
# the same incident or heartbeat.
SINGLE_TRIGGERS = ("resolution_time", "monitoring_failure", "detection_gap")

# --- durations ----------------------------------------------------------------

_DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value: Any) -> timedelta:
    """`90s`, `5m`, `1h30m`, `2d`, or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("use a duration such as 90s, 5m, 2h or 1d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=value)
    text = str(value).strip().replace(" ", "").lower()
    match = _DURATION_RE.match(text)
    if not text or not match:
        raise ValueError(f"{value!r} is not a duration; use e.g. 90s, 5m, 1h30m, 2h or 1d")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def format_duration_short(value: timedelta) -> str:
    """The way the policy file writes it: 1h30m, 5m, 0s."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


# --- label selectors ----------------------------------------------------------

_LABEL_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class RegexMatch(BaseModel):
    """`{regex: "crit.*"}`: the whole label value must match."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    regex: str

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


MatchValue = str | list[str] | RegexMatch


def _check_label_names(selector: Mapping[str, Any]) -> None:
    for name in selector:
        if not _LABEL_NAME_RE.match(name):
            raise ValueError(f"{name!r} is not a label name (letters, digits and _)")


class Selector:
    """Compiled label matchers: every label named must match."""

    def __init__(self, spec: Mapping[str, MatchValue]) -> None:
        self.spec = dict(spec)
        self._tests: list[tuple[str, Any]] = []
        for name, value in spec.items():
            if isinstance(value, RegexMatch):
                self._tests.append((name, re.compile(value.regex).fullmatch))
            elif isinstance(value, list):
                self._tests.append((name, frozenset(value).__contains__))
            else:
                self._tests.append((name, str(value).__eq__))

    def matches(self, labels: Mapping[str, Any]) -> bool:
        for name, test in self._tests:
            value = labels.get(name)
            if value is None or not test(str(value)):
                return False
        return True

    def equalities(self) -> dict[str, str] | None:
        """The selector as plain label=value pairs, if it is only that (so
        the database can filter by it)."""
        if all(isinstance(v, str) for v in self.spec.values()):
            return {k: str(v) for k, v in self.spec.items()}
        return None


# --- titles -------------------------------------------------------------------


def _check_template(value: str) -> str:
    """`{alertname} on {service}`: placeholders are label, annotation or
    field names; nothing else (no attribute access, no formatting tricks)."""
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError as exc:
        raise ValueError(f"the title template is malformed: {exc}") from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not _LABEL_NAME_RE.match(field) or spec or conversion:
            raise ValueError(
                f"placeholder {{{field}}} is not allowed; use plain names like {{alertname}}"
            )
    return value


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def render_title(template: str, values: Mapping[str, Any]) -> str:
    return template.format_map(_Blank({k: str(v) for k, v in values.items()})).strip()


TitleTemplate = Annotated[str, BeforeValidator(lambda v: _check_template(str(v)))]

# --- severity -----------------------------------------------------------------

Level = Annotated[int, Field(ge=1, le=4)]


class SeverityFromLabel(BaseModel):
    """The severity taken from a label of the alert: `map` says which value
    gives which level; anything else gets `default`."""

    model_config = ConfigDict(extra="forbid")
    label: str = "severity"
    map: dict[str, Level] = Field(default_factory=dict)
    default: Level = 3

    def level_for(self, labels: Mapping[str, Any]) -> int:
        value = labels.get(self.label)
        return self.map.get(str(value), self.default) if value is not None else self.default

    def most_severe(self) -> int:
        return min([self.default, *self.map.values()])


SeverityRule = Level | SeverityFromLabel


def severity_for(rule: SeverityRule, labels: Mapping[str, Any]) -> int:
    return rule if isinstance(rule, int) else rule.level_for(labels)


# --- policies -----------------------------------------------------------------

POLICY_ID_RE = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class PolicyBase(BaseModel):
    # Label values in YAML may be numbers (`code: 500`); they are strings.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    id: str = Field(pattern=POLICY_ID_RE)
    mode: Mode = "declare"
    enabled: bool = True
    description: str = ""
    # Marks incidents this policy acts on as needing a full postmortem.
    full_postmortem: bool = False


class AlertPolicy(PolicyBase):
    """Shared by the policies that look at alerts."""

    trigger: str

    match: dict[str, MatchValue]
    severity: SeverityRule = Field(default_factory=SeverityFromLabel)
    service_labels: list[str] = Field(default_factory=lambda: ["service"])
    title: TitleTemplate = ""
    private: bool = False
    # What to do with the incident when every alert of its group has resolved.
    on_alerts_resolved: Literal["nothing", "monitoring", "resolved"] = "nothing"
    _selector: Selector = PrivateAttr()

    @field_validator("match")
    @classmethod
    def _label_names(cls, value: dict[str, MatchValue]) -> dict[str, MatchValue]:
        if not value:
            raise ValueError("give at least one label to match, e.g. {severity: critical}")
        _check_label_names(value)
        return value

    def model_post_init(self, context: Any) -> None:
        self._selector = Selector(self.match)

    @property
    def selector(self) -> Selector:
        return self._selector


class DowntimePolicy(AlertPolicy):
    """An alert matching `match` has been firing for longer than `firing_for`."""

    trigger: Literal["downtime"]
    firing_for: Duration = timedelta(0)


def _data_loss_labels() -> dict[str, MatchValue]:
    return {"category": "data-loss"}


class DataLossPolicy(AlertPolicy):
    """Any alert labelled as data loss: an incident at once, SEV2 or higher."""

    trigger: Literal["data_loss"]
    match: dict[str, MatchValue] = Field(default_factory=_data_loss_labels)
    severity: SeverityRule = 2
    private: bool = True
    full_postmortem: bool = True

    @field_validator("severity")
    @classmethod
    def _at_least_sev2(cls, value: SeverityRule) -> SeverityRule:
        worst = value if isinstance(value, int) else max([value.default, *value.map.values()])
        if worst > 2:
            raise ValueError("data loss is SEV2 or higher: use 1 or 2 (every value of the map too)")
        return value


ChangeKindName = Literal["deploy", "rollback", "reroute"]


def _interventions() -> list[ChangeKindName]:
    return ["rollback", "reroute"]


class InterventionPolicy(PolicyBase):
    """A deploy event marked as a rollback or a traffic reroute."""

    trigger: Literal["on_call_intervention"]
    kinds: list[ChangeKindName] = Field(default_factory=_interventions, min_length=1)
    services: list[str] = Field(default_factory=list)  # empty: every service
    severity: Level = 3
    private: bool = False
    title: TitleTemplate = ""


class ResolutionTimePolicy(PolicyBase):
    """An incident open past the threshold for its severity is escalated;
    an alert group firing past `alerts` with no incident opens one."""

    trigger: Literal["resolution_time"]
    thresholds: dict[Level, Duration] = Field(default_factory=dict)
    alerts: Duration | None = None
    alert_severity: Level = 3
    full_postmortem: bool = True

    @field_validator("thresholds")
    @classmethod
    def _positive(cls, value: dict[int, timedelta]) -> dict[int, timedelta]:
        for level, threshold in value.items():
            if threshold <= timedelta(0):
                raise ValueError(f"the threshold for SEV{level} must be longer than 0s")
        return value


class MonitoringFailurePolicy(PolicyBase):
    """A heartbeat (or Alertmanager's Watchdog) fell silent."""

    trigger: Literal["monitoring_failure"]
    severity: Level = 2
    title: TitleTemplate = ""


class DetectionGapPolicy(PolicyBase):
    """A person declared an incident no alert saw: propose "add detection"."""

    trigger: Literal["detection_gap"]
    mode: Literal["propose", "notify"] = "propose"
    # When the action item is due; None: the action items' own default
    # (by the incident's severity).
    action_due_in: Duration | None = None


Policy = Annotated[
    DowntimePolicy
    | DataLossPolicy
    | InterventionPolicy
    | ResolutionTimePolicy
    | MonitoringFailurePolicy
    | DetectionGapPolicy,
    Field(discriminator="trigger"),
]


class HeartbeatConfig(BaseModel):
    """Something that must keep saying "I am alive": a ping to
    POST /api/v1/heartbeats/{name} or, with `alert`, an always-firing alert
    (Alertmanager's Watchdog) that keeps being re-sent."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    period: Duration
    grace: Duration = timedelta(minutes=5)
    severity: Level | None = None
    service: str = Field("", max_length=100)
    alert: dict[str, str] | None = None
    title: TitleTemplate = ""
    enabled: bool = True

    @field_validator("period")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("the period must be longer than 0s")
        return value

    @field_validator("alert")
    @classmethod
    def _alert_labels(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None:
            if not value:
                raise ValueError("name at least one label, e.g. {alertname: Watchdog}")
            _check_label_names(value)
            for name in value:
                if "__" in name:
                    raise ValueError(f"{name!r}: a heartbeat's alert labels cannot contain __")
        return value

    @property
    def silence(self) -> timedelta:
        """How long without a sign of life before it counts as down."""
        return self.period + self.grace


class TriggerPolicies(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policies: list[Policy] = Field(default_factory=list)
    heartbeats: list[HeartbeatConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> TriggerPolicies:
        seen: set[str] = set()
        for policy in self.policies:
            if policy.id in seen:
                raise ValueError(f"two policies have the id {policy.id!r}")
            seen.add(policy.id)
        for trigger in SINGLE_TRIGGERS:
            enabled = [p.id for p in self.policies if p.trigger == trigger and p.enabled]
            if len(enabled) > 1:
                raise ValueError(
                    f"only one {trigger} policy can be enabled; these are: {', '.join(enabled)}"
                )
        names: set[str] = set()
        for heartbeat in self.heartbeats:
            if heartbeat.name in names:
                raise ValueError(f"two heartbeats are named {heartbeat.name!r}")
            names.add(heartbeat.name)
        return self

    _alert_policies: list[AlertPolicy] = PrivateAttr(default_factory=list)
    _heartbeat_selectors: list[tuple[HeartbeatConfig, Selector]] = PrivateAttr(default_factory=list)

    def model_post_init(self, context: Any) -> None:
        # Data loss first: when one alert matches both, the incident it
        # opens must be the private, SEV2-or-higher one.
        self._alert_policies = [
            *(p for p in self.policies if p.trigger == "data_loss" and p.enabled),
            *(p for p in self.policies if p.trigger == "downtime" and p.enabled),
        ]
        self._heartbeat_selectors = [
            (h, Selector(h.alert)) for h in self.heartbeats if h.enabled and h.alert
        ]

    # --- lookups the engine uses ---------------------------------------------

    @property
    def alert_policies(self) -> list[AlertPolicy]:
        """Enabled data-loss and downtime policies, data loss first."""
        return self._alert_policies

    def heartbeat_for_alert(self, labels: Mapping[str, Any]) -> HeartbeatConfig | None:
        """The heartbeat an alert stands for (Watchdog), if any."""
        for heartbeat, selector in self._heartbeat_selectors:
            if selector.matches(labels):
                return heartbeat
        return None

    def enabled(self, trigger: str) -> list[Any]:
        return [p for p in self.policies if p.trigger == trigger and p.enabled]

    def first(self, trigger: str) -> Any | None:
        found = self.enabled(trigger)
        return found[0] if found else None

    def policy(self, policy_id: str) -> Any | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    def heartbeat(self, name: str) -> HeartbeatConfig | None:
        return next((h for h in self.heartbeats if h.name == name and h.enabled), None)

    def active_heartbeats(self) -> list[HeartbeatConfig]:
        return [h for h in self.heartbeats if h.enabled]


# --- loading ------------------------------------------------------------------

_MODEL_NAMES = frozenset(
    cls.__name__
    for cls in (
        RegexMatch,
        SeverityFromLabel,
        DowntimePolicy,
        DataLossPolicy,
        InterventionPolicy,
        ResolutionTimePolicy,
        MonitoringFailurePolicy,
        DetectionGapPolicy,
        HeartbeatConfig,
    )
)


def _read_yaml(path: Path) -> dict[str, Any]:
    return read_mapping(
        path,
        "trigger policy file",
        variable=FILE_VARIABLE,
        shape="policies: [...], heartbeats: [...]",
    )


def _entries(local: Any, key: str, section: str, source: str) -> list[dict[str, Any]]:
    """The entries of one section of the organisation's file, each a mapping,
    `disabled: true` written as `enabled: false`."""
    if not isinstance(local, list):
        raise ConfigurationError(f"Trigger policy file {source}: {section} must be a list")
    entries: list[dict[str, Any]] = []
    for position, item in enumerate(local):
        if not isinstance(item, dict):
            raise ConfigurationError(
                f"Trigger policy file {source}: {section}[{position}] must be a mapping"
            )
        entries.append(switch_of(item, f"Trigger policy file {source}: {key} {item.get(key)!r}"))
    return entries


def _other_trigger(shipped: Mapping[str, Any], local: Mapping[str, Any]) -> bool:
    """A local policy with a shipped id but another trigger keeps nothing
    of the shipped one."""
    return "trigger" in local and local["trigger"] != shipped.get("trigger")


def merge_documents(shipped: dict[str, Any], local: dict[str, Any], source: str) -> dict[str, Any]:
    unknown = set(local) - {"policies", "heartbeats", "inherit_defaults"}
    if unknown:
        raise ConfigurationError(
            f"Trigger policy file {source}: unknown section {sorted(unknown)[0]!r}; "
            "use policies, heartbeats and inherit_defaults"
        )
    policies = _entries(local.get("policies", []), "id", "policies", source)
    heartbeats = _entries(local.get("heartbeats", []), "name", "heartbeats", source)
    if local.get("inherit_defaults", True) is False:
        return {"policies": policies, "heartbeats": heartbeats}
    merged = merge_entries(shipped.get("policies", []), policies, "id", replaces=_other_trigger)
    return {
        "policies": _stale_descriptions_dropped(
            yours_first(merged, policies, "id"), shipped.get("policies", []), policies
        ),
        "heartbeats": yours_first(
            merge_entries(shipped.get("heartbeats", []), heartbeats, "name"), heartbeats, "name"
        ),
    }


def yours_first(
    merged: list[dict[str, Any]], local: list[dict[str, Any]], key: str
) -> list[dict[str, Any]]:
    """The entries the organisation's file names (new ones and shipped ones
    it changes), in the file's order, before the shipped ones it leaves
    alone. Order is precedence: when two policies match the same alerts,
    the first opens the incident (its title, services, privacy) and the
    others only join it, so the organisation's own must come first."""
    order = {item.get(key): position for position, item in enumerate(local)}
    return sorted(merged, key=lambda item: order.get(item.get(key), len(order)))


# Fields that change what a shipped policy does; changing one without a new
# description makes the shipped description wrong ("after 15 minutes").
_SWITCH_FIELDS = frozenset({"id", "enabled", "description"})


def _stale_descriptions_dropped(
    merged: list[dict[str, Any]], shipped: list[dict[str, Any]], local: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A shipped policy the file changes keeps its shipped description only
    if the file changed nothing it describes; otherwise the description is
    generated from the fields in force (describe.policy_description)."""
    shipped_ids = {item.get("id") for item in shipped}
    changed = {
        item.get("id")
        for item in local
        if item.get("id") in shipped_ids
        and "description" not in item
        and set(item) - _SWITCH_FIELDS
    }
    return [
        {k: v for k, v in item.items() if k != "description"} if item.get("id") in changed else item
        for item in merged
    ]


_TYPE_ERRORS = frozenset(
    {"string_type", "list_type", "dict_type", "model_type", "model_attributes_type", "int_type"}
)


def _is_member_tag(part: Any) -> bool:
    """Pydantic names the member of a union it tried ("str", "RegexMatch",
    "constrained-int"); people never wrote those, so they are dropped."""
    text = str(part)
    return (
        text in ("str", "int", "float", "bool")
        or text in _MODEL_NAMES
        or text.startswith(("constrained-", "function-"))
        or "[" in text
    )


def _where(data: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """`policy "shop-down", field firing_for` for an error at
    ("policies", 2, "downtime", "firing_for")."""
    loc = tuple(part for part in loc if not _is_member_tag(part))
    if len(loc) >= 2 and loc[0] in ("policies", "heartbeats") and isinstance(loc[1], int):
        section, position = loc[0], loc[1]
        items = data.get(section) or []
        item = (
            items[position] if position < len(items) and isinstance(items[position], dict) else {}
        )
        rest = [str(p) for p in loc[2:]]
        if section == "policies" and rest and rest[0] == item.get("trigger"):
            rest = rest[1:]  # the discriminator pydantic puts in the path
        label = "policy" if section == "policies" else "heartbeat"
        name = item.get("id" if section == "policies" else "name")
        what = f'{label} "{name}"' if name else f"{section}[{position}]"
        return f"{what}, field {'.'.join(rest)}" if rest else what
    return ".".join(str(p) for p in loc) or "file"


def describe_errors(data: dict[str, Any], exc: ValidationError) -> str:
    """One sentence per field at fault. A union (`severity: 2` or a map)
    reports once per member; the most specific complaint is kept."""
    chosen: dict[str, Any] = {}
    for error in exc.errors():
        where = _where(data, tuple(error["loc"]))
        if where not in chosen or (
            chosen[where]["type"] in _TYPE_ERRORS and error["type"] not in _TYPE_ERRORS
        ):
            chosen[where] = error
    # "must be a string" at match.service says less than the complaint about
    # match.service.regex that the same union produced.
    for where in list(chosen):
        if chosen[where]["type"] in _TYPE_ERRORS and any(
            other.startswith(f"{where}.") for other in chosen
        ):
            del chosen[where]
    return "; ".join(
        f"{where}: {str(error['msg']).removeprefix('Value error, ')}"
        for where, error in chosen.items()
    )


def validate_document(data: dict[str, Any], source: str) -> TriggerPolicies:
    return validate(
        TriggerPolicies,
        data,
        f"Trigger policy file {source}",
        describe=functools.partial(describe_errors, data),
    )


def load_from(path: str | Path | None) -> TriggerPolicies:
    """The shipped defaults merged with the file at `path` (None: defaults)."""
    shipped = _read_yaml(DEFAULTS_FILE)
    if not path:
        return validate_document(shipped, str(DEFAULTS_FILE))
    local = _read_yaml(Path(path))
    return validate_document(merge_documents(shipped, local, str(path)), str(path))


@functools.cache
def load_trigger_policies() -> TriggerPolicies:
    """The trigger policies in force (validated; cached for the process)."""
    return load_from(settings.TRIGGER_POLICY_FILE)


def forget_on_setting_change(setting: str, **kwargs: Any) -> None:
    """A test that overrides TRIGGER_POLICY_FILE gets that file's policies
    (connected to setting_changed in hotwash.wiring.reactions)."""
    if setting == "TRIGGER_POLICY_FILE":
        load_trigger_policies.cache_clear()

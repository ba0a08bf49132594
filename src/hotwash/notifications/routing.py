"""Who hears what: the notification rules and the routing of each event.

Rules come from the shipped defaults (defaults.yaml) merged with the
organisation's file (HOTWASH_NOTIFICATION_POLICY_FILE), validated at
start-up (an unknown channel or event stops the start, naming it):

    rules:
      - name: page-platform-on-major
        when: {events: [incident.declared], severities: [1, 2], services: [shop]}
        send:
          - pagerduty: {routing_key_env: PAGERDUTY_PLATFORM_KEY}
          - email: {to: [platform-leads@example.org]}

`route_event` (a task queued by outbox.emit_event in the change's
transaction) reads one event, finds every recipient (rules, followers,
other apps' recipient sources) and writes one Delivery per recipient with
its `deliver` task, in one transaction that also marks the event routed.

Privacy: a private incident's event goes to a channel that reaches people
(mail) only for people who can see the incident; to other channels (pager,
webhook, chat) only through rules whose `when` says `private: true`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hotwash.core.yaml_config import merge_entries, read_mapping, validate
from hotwash.jobs.queue import enqueue_many
from hotwash.notifications.channels import channels
from hotwash.notifications.events import EventType
from hotwash.notifications.models import Delivery, Event
from hotwash.notifications.tasks import deliver, deliver_batch

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")
FILE_VARIABLE = "HOTWASH_NOTIFICATION_POLICY_FILE"
# The trigger policies' modes (hotwash.triggers.models.Mode), which a rule's
# `when.modes` may name.
POLICY_MODES = ("declare", "propose", "notify")


class When(BaseModel):
    """What a rule matches. A key left out matches everything."""

    model_config = ConfigDict(extra="forbid")
    events: list[str] = Field(min_length=1)
    severities: list[int] | None = None
    services: list[str] | None = None
    teams: list[str] | None = None
    labels: dict[str, str] | None = None
    # policy.fired and proposal.raised: the trigger policy's mode
    # (declare, propose, notify); other events do not match a rule with modes.
    modes: list[str] | None = None
    # None: public incidents (and, for channels that reach people, private
    # ones too, to those who can see them); true: private ones as well, on
    # every channel; false: public incidents only.
    private: bool | None = None

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(EventType.values))
        if unknown:
            raise ValueError(
                f"unknown event {', '.join(unknown)}; known: {', '.join(EventType.values)}"
            )
        return value

    @field_validator("modes")
    @classmethod
    def _known_modes(cls, value: list[str] | None) -> list[str] | None:
        unknown = sorted(set(value or []) - set(POLICY_MODES))
        if unknown:
            raise ValueError(f"unknown mode {', '.join(unknown)}; known: {', '.join(POLICY_MODES)}")
        return value

    @field_validator("severities")
    @classmethod
    def _known_severities(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and set(value) - {1, 2, 3, 4}:
            raise ValueError("severities are levels 1 to 4")
        return value


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    when: When
    # Each entry is {channel kind: target}, e.g. {"pagerduty": {...}}.
    send: list[dict[str, Any]] = Field(min_length=1)

    @field_validator("send")
    @classmethod
    def _known_channels(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        checked: list[dict[str, Any]] = []
        for entry in value:
            if len(entry) != 1:
                raise ValueError("each send entry names one channel, e.g. {email: {to: [...]}}")
            ((kind, target),) = entry.items()
            channel = channels.find(kind)
            if channel is None:
                raise ValueError(f"unknown channel {kind!r}; known: {', '.join(channels.kinds())}")
            checked.append({kind: channel.check_target(target or {})})
        return checked

    def targets(self) -> list[tuple[str, dict[str, Any]]]:
        """(channel kind, target) pairs, in the file's order."""
        return [next(iter(entry.items())) for entry in self.send]


class NotificationPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> NotificationPolicy:
        names = [rule.name for rule in self.rules]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"rule names must be unique: {', '.join(twice)}")
        return self


@functools.cache
def load_notification_policy() -> NotificationPolicy:
    """The rules in force: the shipped ones, merged by name with the
    organisation's file (if HOTWASH_NOTIFICATION_POLICY_FILE is set)."""
    data = read_mapping(DEFAULTS_FILE, "notification policy file")
    source = str(DEFAULTS_FILE)
    path = getattr(settings, "NOTIFICATION_POLICY_FILE", "")
    if path:
        own = read_mapping(Path(path), "notification policy file", variable=FILE_VARIABLE)
        data["rules"] = merge_entries(data.get("rules") or [], own.get("rules") or [], "name")
        source = path
    policy = validate(
        NotificationPolicy,
        data,
        f"Notification policy file {source}",
        describe=functools.partial(describe_errors, data),
    )
    policy.rules = [rule for rule in policy.rules if rule.enabled]
    return policy


def describe_errors(data: dict[str, Any], exc: ValidationError) -> str:
    """Each complaint as `rule "tell-owners", key send.0.email: what`, so
    the person fixing the file knows which rule and which key."""
    rules = data.get("rules") if isinstance(data, dict) else None
    complaints: list[str] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            entry = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else None
            name = entry.get("name") if isinstance(entry, dict) else None
            rule = f'rule "{name}"' if name else f"rule {loc[1] + 1}"
            key = ".".join(str(part) for part in loc[2:]) or "rule"
            complaints.append(f"{rule}, key {key}: {message}")
        else:
            complaints.append(f"{'.'.join(str(p) for p in loc) or 'file'}: {message}")
    return "; ".join(dict.fromkeys(complaints))


def forget_policy(setting: str = "", **kwargs: Any) -> None:
    """Read the file again on next use (a test changed the setting;
    connected to setting_changed in hotwash.wiring.reactions)."""
    if setting in ("", "NOTIFICATION_POLICY_FILE"):
        load_notification_policy.cache_clear()


def rules_name(kind: str, key: str, value: str) -> bool:
    """Whether a rule of the file in force gives `key: value` to channel
    `kind`. A channel reads an environment variable a Delivery's target
    names without the HOTWASH_SECRET_ prefix only when this is true: the
    operator wrote that name in the file, not someone who can write rows."""
    return any(
        target.get(key) == value
        for rule in load_notification_policy().rules
        for channel, target in rule.targets()
        if channel == kind
    )


# --- matching -------------------------------------------------------------------


def matches(when: When, event: Event, *, reaches_people: bool) -> bool:
    data = event.data
    incident = data.get("incident") or {}
    if event.type not in when.events:
        return False
    if event.private and when.private is not True and not reaches_people:
        return False
    if event.private and when.private is False:
        return False
    if when.severities is not None and incident.get("severity") not in when.severities:
        return False
    if when.services is not None and not set(when.services) & set(incident.get("services") or []):
        return False
    if when.teams is not None and not set(when.teams) & set(incident.get("teams") or []):
        return False
    if when.labels is not None:
        labels = labels_of(event)
        if any(labels.get(key) != value for key, value in when.labels.items()):
            return False
    return not (when.modes is not None and data.get("mode") not in when.modes)


def labels_of(event: Event) -> dict[str, str]:
    """The labels a rule's `when.labels` is matched against: the
    incident's (the common labels of its alert groups, payloads.py), or
    for a firing with no incident the labels of the alerts it saw."""
    incident = event.data.get("incident") or {}
    labels = incident.get("labels") or (event.data.get("details") or {}).get("labels") or {}
    return labels if isinstance(labels, dict) else {}


# --- recipients -----------------------------------------------------------------


@dataclass
class Planned:
    """One delivery routing decided, before it is written."""

    channel: str
    key: str
    target: dict[str, Any]
    rule: str = ""
    recipient_id: int | None = None
    address: str = ""
    language: str = ""


# Other apps (followers' mail, status page subscribers) add recipients by
# registering a function here at start-up (hotwash.wiring.startup): given an
# event, it returns the deliveries it wants. It must apply the privacy rule
# itself (never a private incident's event to someone who cannot see it).
RecipientSource = Callable[[Event], Iterable[Planned]]


@dataclass
class _Sources:
    functions: list[RecipientSource] = field(default_factory=list)


recipient_sources = _Sources()


def register_recipient_source(source: RecipientSource) -> None:
    if source not in recipient_sources.functions:
        recipient_sources.functions.append(source)


# A channel that reaches people expands a rule's target into one Planned per
# person (mail: `to: owning-team` becomes the team's members), filtered by
# who can see the event's incident. Filled at start-up, by kind.
Expander = Callable[[Event, "Rule", int, dict[str, Any]], Iterable[Planned]]
expanders: dict[str, Expander] = {}


def plan(event: Event) -> list[Planned]:
    """Every delivery `event` should have, rules first."""
    planned: list[Planned] = []
    for rule in load_notification_policy().rules:
        for index, (kind, target) in enumerate(rule.targets()):
            channel = channels.get(kind)
            if not matches(rule.when, event, reaches_people=channel.reaches_people):
                continue
            if kind in expanders:
                planned.extend(expanders[kind](event, rule, index, target))
            else:
                key = f"{kind}:{rule.name}:{index}"
                planned.append(Planned(channel=kind, key=key, target=target, rule=rule.name))
    for source in recipient_sources.functions:
        planned.extend(source(event))
    return planned


@task()
def route_event(event_id: str) -> str:
    """Decide and queue the deliveries of one event, once."""
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.routed_at is not None:
            return "nothing to do"
        now = timezone.now()
        # The event row is locked and not yet routed: no delivery of it exists.
        rows = _deliveries(event, plan(event), now)
        Delivery.objects.bulk_create(rows)
        _queue(rows)
        event.routed_at = now
        event.save(update_fields=["routed_at"])
    return f"{len(rows)} deliveries"


def _queue(rows: list[Delivery]) -> None:
    """One `deliver` task per delivery, or one `deliver_batch` per
    `batch_size` deliveries of a channel that sends many at once (mail:
    a thousand followers cost ten tasks and ten SMTP connections)."""
    singles: list[str] = []
    batched: dict[str, list[str]] = {}
    for row in rows:
        size = int(getattr(channels.find(row.channel), "batch_size", 1) or 1)
        if size > 1:
            batched.setdefault(row.channel, []).append(str(row.pk))
        else:
            singles.append(str(row.pk))
    enqueue_many(deliver, [((pk,), {}) for pk in singles])
    calls: list[tuple[tuple[list[str]], dict[str, Any]]] = []
    for kind, ids in batched.items():
        size = int(getattr(channels.get(kind), "batch_size", 1))
        calls.extend(((ids[start : start + size],), {}) for start in range(0, len(ids), size))
    enqueue_many(deliver_batch, calls)


def _deliveries(event: Event, planned: list[Planned], now: datetime) -> list[Delivery]:
    seen: set[str] = set()
    rows: list[Delivery] = []
    for item in planned:
        if item.key in seen:
            continue  # the same person named by two rules hears it once
        seen.add(item.key)
        rows.append(
            Delivery(
                id=uuid.uuid4(),
                event=event,
                channel=item.channel,
                key=item.key[:255],
                rule=item.rule,
                target=item.target,
                recipient_id=item.recipient_id,
                address=item.address,
                language=item.language,
                created_at=now,
            )
        )
    return rows

"""docs/communications/webhook-payload.schema.json describes what Hotwash
really sends: the bodies of every event a scenario produces validate
against it.

No JSON Schema library is a dependency, so `validate` below implements the
keywords the file uses (and refuses any other keyword, so the file cannot
lean on one this check would silently skip)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth.models import User

from hotwash.actions.services import create_action_item, update_action_item
from hotwash.incidents import services as incidents
from hotwash.notifications.events import EventType
from hotwash.notifications.models import WebhookDelivery, WebhookSubscription
from hotwash.notifications.outbox import emit_event
from hotwash.notifications.payloads import incident_data
from hotwash.notifications.reminders import scan_reminders
from hotwash.postmortems.services import (
    CHECKLIST_KEYS,
    draft_for_incident,
    set_checklist_item,
    set_reviewers,
    transition,
)

pytestmark = pytest.mark.django_db

SCHEMA_FILE = Path(__file__).parents[2] / "docs/communications/webhook-payload.schema.json"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "examples"}
TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _format_ok(name: str, value: str) -> bool:
    try:
        if name == "date-time":
            moment = datetime.fromisoformat(value)
            return moment.tzinfo is not None and "T" in value
        if name == "date":
            date.fromisoformat(value)
            return len(value) == 10
        if name == "uuid":
            return str(uuid.UUID(value)) == value.lower()
        if name == "uri":
            parts = urlsplit(value)
            return bool(parts.scheme and parts.netloc)
    except ValueError:
        return False
    raise AssertionError(f"the check does not know format {name!r}")


def validate(
    instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str = ""
) -> list[str]:
    """The problems of `instance` against `schema` (draft 2020-12 subset)."""
    unknown = set(schema) - ANNOTATIONS - set(KEYWORDS)
    assert not unknown, f"schema at {at or '/'} uses keywords this check lacks: {unknown}"
    errors: list[str] = []
    for keyword in KEYWORDS:
        if keyword in schema:
            errors.extend(KEYWORDS[keyword](instance, schema, root, at))
    return errors


def _ref(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    pointer = schema["$ref"]
    assert pointer.startswith("#/$defs/"), pointer
    return validate(instance, root["$defs"][pointer.removeprefix("#/$defs/")], root, at)


def _type(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if any(TYPES[name](instance) for name in names):
        return []
    return [f"{at or '/'}: {instance!r} is not of type {names}"]


def _properties(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    if not isinstance(instance, dict):
        return []
    errors = []
    for name, sub in schema["properties"].items():
        if name in instance:
            errors.extend(validate(instance[name], sub, root, f"{at}/{name}"))
    return errors


def _required(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    if not isinstance(instance, dict):
        return []
    return [
        f"{at or '/'}: {name} is missing" for name in schema["required"] if name not in instance
    ]


def _additional(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    if not isinstance(instance, dict):
        return []
    extra = [name for name in instance if name not in schema.get("properties", {})]
    rule = schema["additionalProperties"]
    if rule is False:
        return [f"{at or '/'}: {name} is not documented" for name in extra]
    return [error for name in extra for error in validate(instance[name], rule, root, at)]


def _items(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    if not isinstance(instance, list):
        return []
    return [
        e for i, v in enumerate(instance) for e in validate(v, schema["items"], root, f"{at}/{i}")
    ]


def _enum(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    return [] if instance in schema["enum"] else [f"{at}: {instance!r} not in {schema['enum']}"]


def _const(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    return [] if instance == schema["const"] else [f"{at}: {instance!r} != {schema['const']!r}"]


def _all_of(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    return [e for sub in schema["allOf"] for e in validate(instance, sub, root, at)]


def _any_of(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    results = [validate(instance, sub, root, at) for sub in schema["anyOf"]]
    return [] if any(not errors for errors in results) else [f"{at}: no anyOf matched: {results}"]


def _if(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    if validate(instance, schema["if"], root, at):
        return []
    return validate(instance, schema.get("then", {}), root, at)


def _format(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    if not isinstance(instance, str) or _format_ok(schema["format"], instance):
        return []
    return [f"{at}: {instance!r} is not a {schema['format']}"]


def _pattern(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    if not isinstance(instance, str) or re.search(schema["pattern"], instance):
        return []
    return [f"{at}: {instance!r} does not match {schema['pattern']}"]


def _minimum(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    ok = not TYPES["number"](instance) or instance >= schema["minimum"]
    return [] if ok else [f"{at}: {instance} < {schema['minimum']}"]


def _maximum(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    ok = not TYPES["number"](instance) or instance <= schema["maximum"]
    return [] if ok else [f"{at}: {instance} > {schema['maximum']}"]


KEYWORDS: dict[str, Any] = {
    "$ref": _ref,
    "type": _type,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional,
    "items": _items,
    "enum": _enum,
    "const": _const,
    "allOf": _all_of,
    "anyOf": _any_of,
    "if": _if,
    "then": lambda *args: [],  # applied by "if"
    "$defs": lambda *args: [],  # reached through "$ref"
    "format": _format,
    "pattern": _pattern,
    "minimum": _minimum,
    "maximum": _maximum,
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return document


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def test_the_schema_covers_the_whole_catalogue(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["event"]["enum"] == list(EventType.values)
    described = [rule["if"]["properties"]["event"]["const"] for rule in schema["allOf"]]
    assert sorted(described) == sorted(EventType.values)
    for rule in schema["allOf"]:
        target = rule["then"]["properties"]["data"]["$ref"].removeprefix("#/$defs/")
        assert target in schema["$defs"], target


def test_the_check_is_not_vacuous(schema: dict[str, Any], amira: User) -> None:
    incident = incidents.declare_incident(
        actor=amira, title="Checkout fails", detection_source="alert"
    )
    good = {
        "delivery": str(uuid.uuid4()),
        "event": "incident.declared",
        "occurred_at": NOW.isoformat(),
        "data": {"incident": incident_data(incident), "actor": "amira"},
    }
    assert validate(good, schema, schema) == []
    bad_severity = json.loads(json.dumps(good))
    bad_severity["data"]["incident"]["severity"] = "1"
    assert validate(bad_severity, schema, schema)
    undocumented = json.loads(json.dumps(good))
    undocumented["data"]["incident"]["secret_notes"] = "…"
    assert validate(undocumented, schema, schema)
    wrong_shape = json.loads(json.dumps(good)) | {"event": "incident.severity_changed"}
    assert any("change is missing" in error for error in validate(wrong_shape, schema, schema))
    unknown_event = json.loads(json.dumps(good)) | {"event": "incident.exploded"}
    assert validate(unknown_event, schema, schema)


def test_the_bodies_of_every_event_match_the_schema(
    schema: dict[str, Any], amira: User, other_responder: User
) -> None:
    subscription = WebhookSubscription(name="all", url="https://hooks.example.org/x", events=[])
    subscription.include_private = True
    subscription.secret = "whsec-for-tests-0123456789"
    subscription.save()

    # A person declares what no alert saw: policy.fired and proposal.raised.
    incident = incidents.declare_incident(
        actor=amira, title="Checkout fails", severity=3, services=["shop"]
    )
    incidents.update_incident(incident, actor=amira, changes={"severity": 1})
    incidents.assign_role(incident, actor=amira, role="commander", user=amira)
    incidents.set_status(incident, actor=amira, status="identified")
    item = create_action_item(
        actor=amira, title="Add a canary", owner=amira, incident=incident, due_on="2026-11-27"
    )
    update_action_item(item, actor=amira, changes={"priority": "high"})
    overdue = create_action_item(
        actor=amira, title="Fix the alert", owner=amira, incident=incident, due_on="2026-11-30"
    )
    type(overdue).objects.filter(pk=overdue.pk).update(due_on=NOW.date() - timedelta(days=1))
    postmortem = draft_for_incident(incident, actor=amira)
    set_reviewers(postmortem, actor=amira, usernames=[other_responder.username])
    transition(postmortem, actor=amira, action="request_review")
    type(postmortem).objects.filter(pk=postmortem.pk).update(
        due_on=NOW.date() + timedelta(days=1), required=True, owner=amira
    )
    late = draft_for_incident(
        incidents.declare_incident(actor=amira, title="Search slow", detection_source="alert"),
        actor=amira,
    )
    type(late).objects.filter(pk=late.pk).update(
        due_on=NOW.date() - timedelta(days=1), required=True, owner=amira
    )
    scan_reminders(NOW)
    late.refresh_from_db()
    set_reviewers(late, actor=amira, usernames=[amira.username])
    for key in CHECKLIST_KEYS:
        set_checklist_item(late, actor=amira, key=key, checked=True)
    for action in ("request_review", "approve", "publish"):
        late = transition(late, actor=amira, action=action)
    update_action_item(item, actor=amira, changes={"status": "done"})
    incidents.set_status(incident, actor=amira, status="closed")
    # A private incident's events (its action items' titles withheld).
    secret = incidents.declare_incident(
        actor=amira, title="Credential leak", detection_source="alert"
    )
    incidents.update_incident(secret, actor=amira, changes={"private": True})
    create_action_item(actor=amira, title="Rotate the keys", owner=amira, incident=secret)
    # The status page's event (emitted there; the shape the catalogue documents).
    emit_event(
        "incident.update_published",
        {
            "incident": incident_data(incident),
            "actor": "amira",
            "update": {
                "id": 1,
                "audience": "public",
                "status": "identified",
                "text": {"en": "Payments fail.", "fr": "Les paiements échouent."},
                "published_at": NOW.isoformat(),
            },
        },
        incident=incident,
        actor=amira,
    )

    bodies = [json.loads(delivery.body) for delivery in WebhookDelivery.objects.all()]
    seen = {body["event"] for body in bodies}
    assert seen == set(EventType.values), set(EventType.values) - seen
    for body in bodies:
        assert validate(body, schema, schema) == [], body["event"]

"""Notification rules: what they match, whom they reach (privacy first),
and a rules file with a mistake stopping the start, naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from pytest_django import Settings

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user
from hotwash.alerts.models import AlertGroup, AlertSource
from hotwash.envconfig import ConfigurationError
from hotwash.incidents.models import Incident, Service
from hotwash.incidents.services import add_participant, declare_incident
from hotwash.notifications.channels import channels
from hotwash.notifications.models import Delivery, Event
from hotwash.notifications.outbox import emit_event
from hotwash.notifications.payloads import incident_data
from hotwash.notifications.routing import (
    When,
    load_notification_policy,
    matches,
    plan,
    route_event,
)
from hotwash.teams.models import Team

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]


def event(type_: str = "incident.declared", private: bool = False, **incident: Any) -> Event:
    snapshot = {"severity": 2, "services": ["shop"], "teams": ["payments"], "labels": {}}
    snapshot.update(incident)
    return Event(type=type_, private=private, data={"incident": snapshot})


@pytest.mark.parametrize(
    ("when", "the_event", "expected"),
    [
        ({"events": ["incident.declared"]}, event(), True),
        ({"events": ["incident.resolved"]}, event(), False),
        ({"events": ["incident.declared"], "severities": [1, 2]}, event(severity=2), True),
        ({"events": ["incident.declared"], "severities": [1]}, event(severity=2), False),
        ({"events": ["incident.declared"], "services": ["payments", "shop"]}, event(), True),
        ({"events": ["incident.declared"], "services": ["search"]}, event(), False),
        ({"events": ["incident.declared"], "teams": ["payments"]}, event(), True),
        ({"events": ["incident.declared"], "teams": ["platform"]}, event(), False),
        (
            {"events": ["incident.declared"], "labels": {"env": "prod"}},
            event(labels={"env": "prod", "team": "x"}),
            True,
        ),
        (
            {"events": ["incident.declared"], "labels": {"env": "prod"}},
            event(labels={"env": "staging"}),
            False,
        ),
        ({"events": ["incident.declared"], "private": False}, event(private=True), False),
        ({"events": ["incident.declared"], "private": True}, event(private=True), True),
    ],
)
def test_a_rule_matches_what_its_when_says(
    when: dict[str, Any], the_event: Event, expected: bool
) -> None:
    assert matches(When(**when), the_event, reaches_people=True) is expected


def test_a_private_event_reaches_a_non_person_channel_only_when_the_rule_says_private() -> None:
    private = event(private=True)
    assert matches(When(events=["incident.declared"]), private, reaches_people=True)
    assert not matches(When(events=["incident.declared"]), private, reaches_people=False)
    assert matches(When(events=["incident.declared"], private=True), private, reaches_people=False)


def test_modes_match_the_firing_of_a_trigger_policy() -> None:
    fired = Event(type="policy.fired", data={"mode": "notify", "incident": None})
    assert matches(When(events=["policy.fired"], modes=["notify"]), fired, reaches_people=True)
    assert not matches(When(events=["policy.fired"], modes=["declare"]), fired, reaches_people=True)


# --- whom a rule reaches ---------------------------------------------------------


class Recorder:
    """A non-person channel (a pager, say) that only records what it is given."""

    kind = "recorder"
    label = "Recorder"
    reaches_people = False

    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    def check_target(self, target: Mapping[str, Any]) -> dict[str, Any]:
        return dict(target)

    def send(self, delivery: Delivery) -> int | None:
        self.sent.append(delivery)
        return 200


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    channel = Recorder()
    channels.register(channel)
    try:
        yield channel
    finally:
        channels._entries.pop(channel.kind, None)
        load_notification_policy.cache_clear()


def rules_file(settings: Settings, tmp_path: Path, text: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    settings.NOTIFICATION_POLICY_FILE = str(path)


@pytest.fixture
def shop(db: None) -> Service:
    return Service.objects.create(name="shop")


@pytest.fixture
def payments(shop: Service) -> Team:
    team = Team.objects.create(name="Payments", slug="payments")
    team.services.add(shop)
    return team


def person(name: str, *, language: str = "en", role: str = Role.RESPONDER) -> User:
    return create_user(name, email=f"{name}@example.org", language=language, role=role)


def declare(responder: User, **fields: Any) -> Incident:
    return declare_incident(actor=responder, title="Checkout fails", **fields)


def events_of(incident: Incident, type_: str = "incident.declared") -> Event:
    return Event.objects.get(incident=incident, type=type_)


def test_tell_owners_mails_each_member_of_the_owning_team(responder: User, payments: Team) -> None:
    nadia, bob = person("nadia", language="fr"), person("bob")
    outsider = person("olga")
    payments.members.add(nadia, bob)
    incident = declare(responder, services=["shop"])
    planned = plan(events_of(incident))
    assert sorted((p.key, p.rule, p.address, p.language) for p in planned) == [
        (f"email:user:{nadia.pk}", "tell-owners", "nadia@example.org", "fr"),
        (f"email:user:{bob.pk}", "tell-owners", "bob@example.org", "en"),
    ]
    assert outsider.pk not in {p.recipient_id for p in planned}


def test_a_team_with_a_list_address_is_mailed_there_unless_the_incident_is_private(
    responder: User, payments: Team
) -> None:
    payments.email = "payments@example.org"
    payments.save()
    nadia, bob = person("nadia"), person("bob")
    payments.members.add(nadia, bob)
    public = declare(responder, services=["shop"])
    assert [p.key for p in plan(events_of(public))] == ["email:addr:payments@example.org"]

    private = declare(responder, services=["shop"], private=True)
    add_participant(private, actor=responder, user=nadia)
    # Not the list (its readers are unknown): the members who can see it.
    assert [p.key for p in plan(events_of(private))] == [f"email:user:{nadia.pk}"]


def test_a_private_incident_never_mails_someone_who_cannot_see_it(
    responder: User, payments: Team, settings: Settings, tmp_path: Path
) -> None:
    rules_file(
        settings,
        tmp_path,
        "rules:\n  - name: leads\n    when: {events: [incident.declared]}\n"
        "    send:\n      - email: {to: [olga@example.org, lead@example.org, admins]}\n",
    )
    nadia, olga = person("nadia"), person("olga")
    admin = person("ada", role=Role.ADMIN)
    payments.members.add(nadia, olga)
    incident = declare(responder, services=["shop"], private=True)
    add_participant(incident, actor=responder, user=nadia)
    planned = plan(events_of(incident))
    # nadia (participant, owning team) and the admin; never olga, never the
    # bare address that no account has.
    assert sorted(p.key for p in planned) == sorted(
        [f"email:user:{nadia.pk}", f"email:user:{admin.pk}"]
    )


def test_a_non_person_channel_gets_a_private_incident_only_through_a_private_rule(
    responder: User, recorder: Recorder, settings: Settings, tmp_path: Path
) -> None:
    rules_file(
        settings,
        tmp_path,
        "rules:\n"
        "  - name: pager\n    when: {events: [incident.declared]}\n"
        "    send:\n      - recorder: {service: ops}\n"
        "  - name: pager-private\n    when: {events: [incident.declared], private: true}\n"
        "    send:\n      - recorder: {service: secure}\n",
    )
    public = declare(responder)
    assert sorted(p.key for p in plan(events_of(public))) == [
        "recorder:pager-private:0",
        "recorder:pager:0",
    ]
    private = declare(responder, private=True)
    assert [(p.key, p.target) for p in plan(events_of(private))] == [
        ("recorder:pager-private:0", {"service": "secure"})
    ]


def test_a_person_named_twice_hears_once(
    responder: User, payments: Team, settings: Settings, tmp_path: Path
) -> None:
    rules_file(
        settings,
        tmp_path,
        "rules:\n  - name: also-nadia\n    when: {events: [incident.declared]}\n"
        "    send:\n      - email: {to: [NADIA@example.org, owning-team]}\n",
    )
    nadia = person("nadia")
    payments.members.add(nadia)
    incident = declare(responder, services=["shop"])
    event_ = events_of(incident)
    route_event.call(str(event_.pk))
    assert list(Delivery.objects.values_list("key", flat=True)) == [f"email:user:{nadia.pk}"]
    # Routing twice writes nothing new.
    route_event.call(str(event_.pk))
    assert Delivery.objects.count() == 1


def test_the_notify_mode_of_a_trigger_policy_mails_the_owning_team_else_the_admins(
    payments: Team,
) -> None:
    nadia = person("nadia")
    admin = person("ada", role=Role.ADMIN)
    payments.members.add(nadia)

    def fired(labels: dict[str, str]) -> Event:
        data = {
            "policy": "degradation",
            "mode": "notify",
            "details": {"labels": labels},
            "incident": None,
            "services": ["shop"] if labels.get("service") == "shop" else [],
        }
        return emit_event("policy.fired", data)

    assert [p.key for p in plan(fired({"service": "shop"}))] == [f"email:user:{nadia.pk}"]
    assert [p.key for p in plan(fired({"service": "unknown"}))] == [f"email:user:{admin.pk}"]


def test_an_incident_has_the_labels_of_its_alert_groups(responder: User) -> None:
    incident = declare(responder)
    source = AlertSource.objects.create(
        name="am", kind="alertmanager", digest="d" * 64, prefix="p", created_at=timezone.now()
    )
    now = timezone.now()
    AlertGroup.objects.create(
        source=source,
        group_key="g1",
        labels={"env": "prod", "team": "payments"},
        first_fired_at=now,
        last_notified_at=now,
        updated_at=now,
        incident=incident,
    )
    snapshot = incident_data(incident)
    assert snapshot["labels"] == {"env": "prod", "team": "payments"}
    when = When(events=["incident.declared"], labels={"env": "prod"})
    assert matches(
        when, Event(type="incident.declared", data={"incident": snapshot}), reaches_people=True
    )


# --- a rules file with a mistake -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "rules:\n  - name: page\n    when: {events: [incident.declard]}\n"
            "    send: [{email: {to: [a@example.org]}}]\n",
            'rule "page", key when.events: unknown event incident.declard',
        ),
        (
            "rules:\n  - name: page\n    when: {events: [incident.declared]}\n"
            "    send: [{pager: {key: X}}]\n",
            "rule \"page\", key send: unknown channel 'pager'",
        ),
        (
            "rules:\n  - name: page\n    when: {events: [incident.declared]}\n"
            "    send: [{email: {to: [owners]}}]\n",
            "rule \"page\", key send: to: 'owners' is neither an email address nor one of",
        ),
        (
            "rules:\n  - name: page\n    when: {events: [incident.declared], sevs: [1]}\n"
            "    send: [{email: {to: owning-team}}]\n",
            'rule "page", key when.sevs: Extra inputs are not permitted',
        ),
        (
            "rules:\n  - name: page\n    when: {events: [policy.fired], modes: [shout]}\n"
            "    send: [{email: {to: admins}}]\n",
            'rule "page", key when.modes: unknown mode shout',
        ),
    ],
)
def test_a_mistake_in_the_rules_is_named(
    settings: Settings, tmp_path: Path, text: str, expected: str
) -> None:
    rules_file(settings, tmp_path, text)
    with pytest.raises(ConfigurationError) as caught:
        load_notification_policy()
    assert expected in str(caught.value)
    assert str(tmp_path / "rules.yaml") in str(caught.value)


def test_the_shipped_rules_load_and_a_rule_can_be_switched_off(
    settings: Settings, tmp_path: Path
) -> None:
    assert [rule.name for rule in load_notification_policy().rules] == [
        "tell-owners",
        "policy-notify",
    ]
    rules_file(settings, tmp_path, "rules:\n  - {name: tell-owners, enabled: false}\n")
    assert [rule.name for rule in load_notification_policy().rules] == ["policy-notify"]


def test_a_wrong_rules_file_stops_hotwash_at_start_up(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "rules:\n  - name: page-ops\n    when: {events: [incident.declared]}\n"
        "    send:\n      - pager: {routing_key_env: OPS}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTWASH_")}
    env.update(
        PYTHONPATH=str(REPO / "src"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        HOTWASH_NOTIFICATION_POLICY_FILE=str(bad),
    )
    result = subprocess.run(
        [sys.executable, "-m", "hotwash", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert f"Notification policy file {bad} is invalid" in result.stderr
    assert "rule \"page-ops\", key send: unknown channel 'pager'; known: " in result.stderr
    assert "email" in result.stderr.rsplit("known: ", 1)[1]

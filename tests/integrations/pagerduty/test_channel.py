"""PagerDuty through the notification rules, end to end: an incident's
events are routed by a rules file, delivered by the worker's tasks and
received by a loopback stand-in of the Events API v2 (standin.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from pytest_django import Settings

from hotwash.incidents.models import Incident, Service
from hotwash.incidents.services import declare_incident, set_status, update_incident
from hotwash.jobs.worker import HotwashWorker
from hotwash.notifications.models import Delivery, DeliveryStatus
from hotwash.notifications.routing import load_notification_policy
from hotwash.notifications.tasks import deliver
from hotwash.teams.models import Team
from tests.integrations.pagerduty.standin import PagerDutyStandIn

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
KEY = "0123456789abcdef0123456789abcdef"  # 32 characters, as PagerDuty's are
OTHER_KEY = "fedcba9876543210fedcba9876543210"
VARIABLE = "HOTWASH_SECRET_PAGERDUTY_PLATFORM"

PAGE_ON_MAJOR = f"""
rules:
  - name: page-platform
    when:
      events: [incident.declared, incident.severity_changed, incident.resolved, incident.closed]
      severities: [1, 2]
      services: [shop]
    send:
      - pagerduty: {{routing_key_env: {VARIABLE}}}
"""


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def pagerduty(settings: Settings) -> Iterator[PagerDutyStandIn]:
    with PagerDutyStandIn() as standin:
        settings.PAGERDUTY_EVENTS_URL = standin.events_url
        yield standin


@pytest.fixture
def rules(settings: Settings, tmp_path: Path) -> Callable[[str], None]:
    """Put these rules in force (the routing module forgets its cached
    policy when the setting changes)."""

    def use(text: str) -> None:
        path = tmp_path / "notifications.yaml"
        path.write_text(text, encoding="utf-8")
        settings.NOTIFICATION_POLICY_FILE = str(path)

    return use


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(VARIABLE, KEY)
    return KEY


def drain() -> int:
    return HotwashWorker(
        worker_id="tests", queue_names=["default"], interval=0, periodic=False
    ).drain()


def declare(actor: User, *, severity: int = 1, private: bool = False) -> Incident:
    return declare_incident(
        actor=actor, title="Checkout fails", severity=severity, services=["shop"], private=private
    )


def test_a_sev1_incident_pages_and_its_resolution_resolves(
    responder: User, pagerduty: PagerDutyStandIn, rules: Callable[[str], None], key: str
) -> None:
    rules(PAGE_ON_MAJOR)
    incident = declare(responder)
    drain()

    [trigger] = pagerduty.events
    assert trigger["routing_key"] == KEY
    assert trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == incident.ref
    payload = trigger["payload"]
    assert payload["summary"] == f"SEV1 {incident.ref}: Checkout fails"
    assert payload["severity"] == "critical"
    assert payload["source"] == payload["component"] == "shop"
    assert datetime.fromisoformat(payload["timestamp"]) >= NOW
    assert payload["class"] == "incident.declared"
    assert payload["custom_details"]["incident"] == incident.ref
    assert payload["custom_details"]["by"] == responder.username
    assert trigger["client"] == "Hotwash"
    assert trigger["client_url"].endswith(f"/incidents/{incident.ref}/")
    assert trigger["links"] == [
        {"href": trigger["client_url"], "text": f"{incident.ref} in Hotwash"}
    ]
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.last_status_code) == (
        "pagerduty",
        DeliveryStatus.SENT,
        202,
    )
    assert delivery.target == {"routing_key_env": VARIABLE}
    assert delivery.rule == "page-platform"
    assert pagerduty.state_of(incident.ref) == "triggered"

    set_status(incident, actor=responder, status="resolved")
    drain()
    resolve = pagerduty.events[-1]
    assert resolve == {"routing_key": KEY, "event_action": "resolve", "dedup_key": incident.ref}
    assert pagerduty.state_of(incident.ref) == "resolved"


def test_an_escalation_to_sev1_pages_with_the_new_severity(
    responder: User, pagerduty: PagerDutyStandIn, rules: Callable[[str], None], key: str
) -> None:
    rules(PAGE_ON_MAJOR)
    incident = declare(responder, severity=3)
    drain()
    assert pagerduty.events == []  # SEV3 is not what the rule pages for

    update_incident(incident, actor=responder, changes={"severity": 2})
    drain()
    [trigger] = pagerduty.events
    assert trigger["dedup_key"] == incident.ref
    assert trigger["payload"]["severity"] == "error"
    assert trigger["payload"]["class"] == "incident.severity_changed"
    assert trigger["payload"]["custom_details"]["change"] == {"from": 3, "to": 2}


def test_closing_an_open_incident_resolves_the_page_once_per_event(
    responder: User, pagerduty: PagerDutyStandIn, rules: Callable[[str], None], key: str
) -> None:
    rules(PAGE_ON_MAJOR)
    incident = declare(responder)
    drain()
    set_status(incident, actor=responder, status="closed")
    drain()
    # Closed straight away is resolved and closed: two resolves, one alert.
    assert [event["event_action"] for event in pagerduty.events] == [
        "trigger",
        "resolve",
        "resolve",
    ]
    assert pagerduty.state_of(incident.ref) == "resolved"


def test_a_sev3_incident_pages_no_one(
    responder: User, pagerduty: PagerDutyStandIn, rules: Callable[[str], None], key: str
) -> None:
    rules(PAGE_ON_MAJOR)
    declare(responder, severity=3)
    drain()
    assert pagerduty.requests == []
    assert not Delivery.objects.exists()


def test_a_private_incident_pages_only_through_a_rule_that_says_private(
    responder: User, pagerduty: PagerDutyStandIn, rules: Callable[[str], None], key: str
) -> None:
    rules(PAGE_ON_MAJOR)
    declare(responder, private=True)
    drain()
    assert pagerduty.requests == []
    assert not Delivery.objects.exists()

    rules(PAGE_ON_MAJOR.replace("services: [shop]", "services: [shop]\n      private: true"))
    incident = declare(responder, private=True)
    drain()
    [trigger] = pagerduty.events
    assert trigger["dedup_key"] == incident.ref


def test_a_rate_limited_page_waits_at_least_what_retry_after_says(
    responder: User,
    pagerduty: PagerDutyStandIn,
    rules: Callable[[str], None],
    key: str,
    settings: Settings,
    _clock: time_machine.Traveller,
) -> None:
    settings.TASK_RETRY_SECONDS = 1  # the backoff alone would retry sooner
    rules(PAGE_ON_MAJOR)
    pagerduty.rate_limit_next(retry_after=120)
    before = datetime.now(UTC)
    incident = declare(responder)
    drain()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_status_code == 429
    assert delivery.attempts == 1
    assert "rate limiting" in delivery.last_error
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= before + timedelta(seconds=120)
    assert pagerduty.events == []

    assert drain() == 0  # not before its time
    _clock.shift(timedelta(seconds=121))
    drain()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 2, "")
    assert [event["dedup_key"] for event in pagerduty.events] == [incident.ref]


def test_a_rate_limit_without_retry_after_waits_as_pagerduty_advises(
    responder: User,
    pagerduty: PagerDutyStandIn,
    rules: Callable[[str], None],
    key: str,
    settings: Settings,
) -> None:
    settings.TASK_RETRY_SECONDS = 1
    rules(PAGE_ON_MAJOR)
    pagerduty.rate_limit_next()
    before = datetime.now(UTC)
    declare(responder)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= before + timedelta(seconds=30)


def test_a_server_error_is_retried(
    responder: User, pagerduty: PagerDutyStandIn, rules: Callable[[str], None], key: str
) -> None:
    rules(PAGE_ON_MAJOR)
    pagerduty.fail_next(500, body={"status": "error", "message": "Internal error"})
    declare(responder)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_status_code == 500
    assert "HTTP 500" in delivery.last_error
    assert "Internal error" in delivery.last_error


def test_an_unreachable_pagerduty_is_retried(
    responder: User, rules: Callable[[str], None], key: str, settings: Settings
) -> None:
    with PagerDutyStandIn() as gone:
        url = gone.events_url
    settings.PAGERDUTY_EVENTS_URL = url  # nothing listens there any more
    rules(PAGE_ON_MAJOR)
    declare(responder)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "PagerDuty could not be reached" in delivery.last_error


def test_a_refused_event_fails_at_once_with_pagerdutys_message(
    responder: User, pagerduty: PagerDutyStandIn, rules: Callable[[str], None], key: str
) -> None:
    rules(PAGE_ON_MAJOR)
    pagerduty.reject_next("Length of 'routing_key' is incorrect (should be 32 characters)")
    declare(responder)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code == 400
    assert delivery.next_attempt_at is None
    assert delivery.last_error == (
        "PagerDuty refused the event (HTTP 400): Event object is invalid "
        "(Length of 'routing_key' is incorrect (should be 32 characters))"
    )
    assert drain() == 0  # no retry was queued


def test_the_stand_in_refuses_a_key_of_the_wrong_length_as_pagerduty_does(
    responder: User,
    pagerduty: PagerDutyStandIn,
    rules: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(VARIABLE, "too-short")
    rules(PAGE_ON_MAJOR)
    declare(responder)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "should be 32 characters" in delivery.last_error


def test_a_missing_variable_fails_with_a_clear_message(
    responder: User,
    pagerduty: PagerDutyStandIn,
    rules: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    rules(PAGE_ON_MAJOR)
    declare(responder)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == (
        f"PagerDuty routing key unavailable: environment variable {VARIABLE} is not set or empty."
    )
    assert pagerduty.requests == []


def test_the_key_never_appears_in_the_delivery_or_the_logs(
    responder: User,
    pagerduty: PagerDutyStandIn,
    rules: Callable[[str], None],
    key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    rules(PAGE_ON_MAJOR)
    # An error that echoes the key, as a careless service might.
    pagerduty.fail_next(500, body={"status": "error", "message": f"routing key {KEY} is broken"})
    declare(responder)
    drain()
    delivery = Delivery.objects.get()
    assert "[redacted]" in delivery.last_error
    stored = " ".join(
        str(value)
        for value in Delivery.objects.values_list(
            "key", "target", "last_error", "address", "rule"
        ).get()
    )
    assert KEY not in stored
    assert KEY not in caplog.text
    assert "[redacted]" in caplog.text


def test_a_file_holds_the_key(
    responder: User,
    pagerduty: PagerDutyStandIn,
    rules: Callable[[str], None],
    settings: Settings,
    tmp_path: Path,
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "pagerduty-platform").write_text(KEY + "\n", encoding="utf-8")
    settings.TRACKER_SECRET_DIRS = [str(secrets)]
    rules(
        PAGE_ON_MAJOR.replace(
            f"routing_key_env: {VARIABLE}", f"routing_key_file: {secrets}/pagerduty-platform"
        )
    )
    incident = declare(responder)
    drain()
    [trigger] = pagerduty.events
    assert (trigger["routing_key"], trigger["dedup_key"]) == (KEY, incident.ref)


OWNERS = """
rules:
  - name: page-owners
    when: {events: [incident.declared, incident.resolved], severities: [1]}
    send:
      - pagerduty: {routing_key: owning-team}
"""


def test_owning_team_pages_each_team_that_owns_a_service(
    responder: User,
    pagerduty: PagerDutyStandIn,
    rules: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOTWASH_SECRET_PD_PLATFORM", KEY)
    monkeypatch.setenv("HOTWASH_SECRET_PD_PAYMENTS", OTHER_KEY)
    shop = Service.objects.create(name="shop")
    payments = Service.objects.create(name="payments")
    platform = Team.objects.create(
        name="Platform", slug="platform", pagerduty_routing_key_env="HOTWASH_SECRET_PD_PLATFORM"
    )
    platform.services.add(shop, payments)
    team = Team.objects.create(
        name="Payments", slug="payments", pagerduty_routing_key_env="HOTWASH_SECRET_PD_PAYMENTS"
    )
    team.services.add(payments)
    Team.objects.create(name="Search", slug="search")  # owns nothing here: not paged
    rules(OWNERS)

    incident = declare_incident(
        actor=responder, title="Checkout fails", severity=1, services=["shop", "payments"]
    )
    drain()
    # Platform owns two of the services and is paged once.
    assert sorted(event["routing_key"] for event in pagerduty.events) == sorted([KEY, OTHER_KEY])
    assert {event["dedup_key"] for event in pagerduty.events} == {incident.ref}
    assert sorted(Delivery.objects.values_list("key", flat=True)) == [
        "pagerduty:team:payments",
        "pagerduty:team:platform",
    ]
    assert Delivery.objects.get(key="pagerduty:team:platform").target == {
        "routing_key": "owning-team",
        "team": "platform",
    }

    set_status(incident, actor=responder, status="resolved")
    drain()
    resolves = [event for event in pagerduty.events if event["event_action"] == "resolve"]
    assert sorted(event["routing_key"] for event in resolves) == sorted([KEY, OTHER_KEY])


def test_owning_team_without_a_key_or_owner_fails_visibly(
    responder: User, pagerduty: PagerDutyStandIn, rules: Callable[[str], None]
) -> None:
    Team.objects.create(name="Platform", slug="platform").services.add(
        Service.objects.create(name="shop")
    )
    rules(OWNERS)
    declare(responder)
    declare_incident(actor=responder, title="Unowned", severity=1, services=["attic"])
    drain()
    errors = dict(Delivery.objects.values_list("key", "last_error"))
    assert errors == {
        "pagerduty:team:platform": (
            "Team Platform has no PagerDuty routing key variable: set it on the team "
            "(a HOTWASH_SECRET_ environment variable or a secret file)."
        ),
        "pagerduty:page-owners:0:no-owning-team": (
            "The rule pages the owning team, but none of the incident's services has an "
            "owning team."
        ),
    }
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    assert pagerduty.requests == []


def test_a_team_variable_must_be_one_hotwash_reads(
    responder: User,
    pagerduty: PagerDutyStandIn,
    rules: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_PASSWORD", KEY)
    Team.objects.create(
        name="Platform", slug="platform", pagerduty_routing_key_env="DATABASE_PASSWORD"
    ).services.add(Service.objects.create(name="shop"))
    rules(OWNERS)
    declare(responder)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "HOTWASH_SECRET_" in delivery.last_error
    assert pagerduty.requests == []


def test_the_rules_file_may_name_any_variable_but_a_row_may_not(
    responder: User,
    pagerduty: PagerDutyStandIn,
    rules: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's example names PAGERDUTY_PLATFORM_KEY: the operator who
    writes the rules file controls the environment. A Delivery whose target
    was changed afterwards to name another variable is refused."""
    monkeypatch.setenv("PAGERDUTY_PLATFORM_KEY", KEY)
    monkeypatch.setenv("DATABASE_PASSWORD", OTHER_KEY)
    rules(PAGE_ON_MAJOR.replace(VARIABLE, "PAGERDUTY_PLATFORM_KEY"))
    incident = declare(responder)
    drain()
    [trigger] = pagerduty.events
    assert trigger["routing_key"] == KEY
    assert trigger["dedup_key"] == incident.ref

    Delivery.objects.update(target={"routing_key_env": "DATABASE_PASSWORD"})
    delivery = Delivery.objects.get()
    delivery.status = DeliveryStatus.PENDING
    delivery.save()
    deliver.call(str(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "HOTWASH_SECRET_" in delivery.last_error
    assert len(pagerduty.events) == 1


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{}", "exactly one of routing_key_env"),
        ("{routing_key_env: A, routing_key: owning-team}", "exactly one of routing_key_env"),
        ("{routing_key_env: HOTWASH_SECRET_X, service: shop}", "unknown key service"),
        ("{routing_key_env: 'PAGERDUTY KEY'}", "letters, digits and underscores"),
        ("{routing_key_env: HOTWASH_SECRET_KEY}", "Hotwash's own secret key"),
        ("{routing_key: 0123456789abcdef0123456789abcdef}", "never write a key itself"),
        ("{routing_key_file: /etc/passwd}", "secret files must be in one of these folders"),
        ("{routing_key_file: relative/key}", "absolute path"),
    ],
)
def test_a_wrong_target_stops_start_up_naming_it(
    rules: Callable[[str], None], target: str, message: str
) -> None:
    rules(
        f"""
rules:
  - name: page
    when: {{events: [incident.declared]}}
    send:
      - pagerduty: {target}
"""
    )
    with pytest.raises(Exception, match="pagerduty") as error:
        load_notification_policy()
    assert message in str(error.value)

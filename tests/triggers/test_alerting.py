"""Downtime and data-loss triggers, and alert activity on the timeline,
through the real ingestion path against the real database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotwash.alerts.models import AlertGroup, AlertSource
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import DetectionSource, Incident, Status, TimelineKind
from hotwash.triggers import services
from hotwash.triggers.models import Action, PolicyFiring, Proposal, ProposalKind
from tests.support import triggers as support
from tests.support.triggers import T0, alert, send

# Fixtures shared with the other trigger tests.
_fresh_claims, source, policy_file, fired = (
    support._fresh_claims,
    support.source,
    support.policy_file,
    support.fired,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def only_incident() -> Incident:
    found = list(Incident.objects.all())
    assert len(found) == 1, found
    return found[0]


# --- downtime -------------------------------------------------------------------


def test_a_critical_alert_declares_an_incident_at_once(
    source: AlertSource, fired: support.Fired
) -> None:
    send(source, alert(service="shop", severity="critical", summary="Checkout answers 503"))

    incident = only_incident()
    assert incident.title == "ShopDown: Checkout answers 503"
    assert incident.severity == 2  # the shipped map: critical -> SEV2
    assert incident.detection_source == DetectionSource.ALERT
    assert incident.status == Status.INVESTIGATING
    assert incident.created_by is None
    assert incident.impact_started_at == T0
    assert list(incident.services.values_list("name", flat=True)) == ["shop"]
    group = AlertGroup.objects.get()
    assert group.incident_id == incident.pk

    firing = PolicyFiring.objects.get()
    assert (firing.policy_id, firing.trigger, firing.mode, firing.action) == (
        "downtime-critical",
        "downtime",
        "declare",
        Action.DECLARED,
    )
    assert firing.incident_id == incident.pk
    assert firing.alert_count == 1
    assert firing.alerts[0]["alertname"] == "ShopDown"
    assert fired.firings == [firing]
    assert AuditRecord.objects.filter(action="trigger.fired", object_id=str(firing.pk)).exists()

    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds.count(TimelineKind.TRIGGER) == 1
    assert kinds.count(TimelineKind.ALERT) == 1
    trigger_entry = incident.timeline.get(kind=TimelineKind.TRIGGER)
    assert trigger_entry.key_moment
    assert "downtime-critical" in describe_event(trigger_entry)
    assert "declared this incident" in describe_event(trigger_entry)
    alert_entry = incident.timeline.get(kind=TimelineKind.ALERT)
    assert describe_event(alert_entry).startswith("Alert firing: ShopDown (")


def test_the_severity_comes_from_the_labels(
    source: AlertSource, policy_file: Callable[[str], Path]
) -> None:
    policy_file(
        """
policies:
  - id: downtime-critical
    severity: {label: severity, map: {critical: 1, page: 2}, default: 3}
"""
    )
    send(source, alert(service="shop", severity="critical"))
    assert only_incident().severity == 1


def test_a_repeat_notification_updates_the_group_and_opens_nothing(source: AlertSource) -> None:
    firing = alert(service="shop", severity="critical")
    send(source, firing)
    incident = only_incident()
    entries = incident.timeline.count()

    # The receiver itself costs nothing: ingestion's own statements only.
    with CaptureQueriesContext(connection) as queries:
        send(source, firing, now=T0 + timedelta(minutes=1))
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2, statements  # the group upsert and the alert upsert

    assert only_incident().pk == incident.pk
    assert incident.timeline.count() == entries
    assert PolicyFiring.objects.count() == 1


def test_a_new_alert_in_the_group_joins_the_incident(source: AlertSource) -> None:
    send(source, alert(service="shop", severity="critical", instance="a"))
    send(
        source,
        alert(service="shop", severity="critical", instance="a"),
        alert(service="shop", severity="critical", instance="b"),
        now=T0 + timedelta(minutes=1),
    )
    incident = only_incident()
    assert incident.timeline.filter(kind=TimelineKind.ALERT).count() == 2
    # The policy fired once for the group, however many alerts it has.
    assert PolicyFiring.objects.count() == 1


def test_a_resolved_notification_is_written_on_the_timeline(source: AlertSource) -> None:
    send(source, alert(service="shop", severity="critical"))
    later = T0 + timedelta(minutes=12)
    send(source, alert(service="shop", severity="critical", status="resolved"), now=later)

    incident = only_incident()
    entries = [describe_event(e) for e in incident.timeline.filter(kind=TimelineKind.ALERT)]
    assert any(text.startswith("Alert resolved: ShopDown") for text in entries)
    assert any("Every alert of the group" in text for text in entries)
    assert any("stays open until a responder resolves it" in text for text in entries)
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING  # the default: people decide


def test_a_policy_can_move_the_incident_on_when_its_alerts_resolve(
    source: AlertSource, policy_file: Callable[[str], Path]
) -> None:
    policy_file("policies:\n  - id: downtime-critical\n    on_alerts_resolved: monitoring\n")
    send(source, alert(service="shop", severity="critical"))
    send(
        source,
        alert(service="shop", severity="critical", status="resolved"),
        now=T0 + timedelta(minutes=5),
    )
    incident = only_incident()
    assert incident.status == Status.MONITORING
    assert incident.timeline.filter(kind=TimelineKind.STATUS).exists()


def test_a_warning_waits_for_its_threshold(
    source: AlertSource, _clock: time_machine.Traveller
) -> None:
    send(source, alert("SlowCheckout", service="shop", severity="warning"))
    assert not Incident.objects.exists()

    _clock.move_to(T0 + timedelta(minutes=14))
    services.run_checks()
    assert not Incident.objects.exists()

    _clock.move_to(T0 + timedelta(minutes=16))
    services.run_checks()
    incident = only_incident()
    assert incident.severity == 3
    firing = PolicyFiring.objects.get()
    assert firing.policy_id == "degradation"
    assert firing.details["threshold"] == 15 * 60
    assert "longer than 15 min" in describe_event(incident.timeline.get(kind=TimelineKind.TRIGGER))

    # Running the check again (or in a second worker) changes nothing.
    services.run_checks()
    assert Incident.objects.count() == 1
    assert PolicyFiring.objects.count() == 1


def test_an_alert_that_started_long_ago_fires_a_waiting_policy_at_once(
    source: AlertSource, _clock: time_machine.Traveller
) -> None:
    # Prometheus may only send it after its own `for:`; what counts is startsAt.
    _clock.move_to(T0 + timedelta(minutes=20))
    send(source, alert("SlowCheckout", service="shop", severity="warning", starts_at=T0))
    assert only_incident().severity == 3


def test_alerts_matching_no_policy_open_nothing(source: AlertSource) -> None:
    send(source, alert("DiskFilling", service="shop", severity="info"))
    services.run_checks()
    assert not Incident.objects.exists()


def test_regular_expressions_and_lists_select_alerts(
    source: AlertSource, policy_file: Callable[[str], Path]
) -> None:
    policy_file(
        """
inherit_defaults: false
policies:
  - id: shop-or-cart
    trigger: downtime
    match: {service: [shop, cart], alertname: {regex: "Checkout.*"}}
    firing_for: 5m
    severity: 2
"""
    )
    send(source, alert("CheckoutErrors", service="cart", group="g1"))
    send(source, alert("CheckoutErrors", service="search", group="g2"))
    send(source, alert("Other", service="shop", group="g3"))
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        services.run_checks()
    incident = only_incident()
    assert list(incident.services.values_list("name", flat=True)) == ["cart"]


# --- data loss --------------------------------------------------------------------


def test_data_loss_declares_a_private_sev2_at_once(source: AlertSource) -> None:
    send(
        source,
        alert("BackupMissing", service="billing", category="data-loss", severity="warning"),
    )
    incident = only_incident()
    assert incident.private
    assert incident.severity == 2
    assert incident.title == "Data loss: BackupMissing firing for billing"
    firing = PolicyFiring.objects.get()
    assert firing.policy_id == "data-loss"
    assert firing.full_postmortem
    assert services.full_postmortem_required(incident)


def test_data_loss_wins_over_downtime_when_both_match(source: AlertSource) -> None:
    send(source, alert("ReplicaLost", service="db", category="data-loss", severity="critical"))
    incident = only_incident()
    assert incident.private
    assert incident.severity == 1  # the shipped data-loss map: critical -> SEV1
    assert set(PolicyFiring.objects.values_list("policy_id", "action")) == {
        ("data-loss", Action.DECLARED),
        ("downtime-critical", Action.JOINED),
    }


SHOP_DOWN = """
policies:
  - id: shop-down
    trigger: downtime
    description: The shop is down for everyone.
    match: {service: shop, severity: critical}
    severity: 1
    title: "Shop down: {alertname}"
"""


def test_the_organisations_policy_opens_the_incident_before_a_shipped_one(
    source: AlertSource, policy_file: Callable[[str], Path]
) -> None:
    """shop-down and the shipped downtime-critical both match: the
    organisation's opens the incident, with its title; the shipped one joins."""
    policy_file(SHOP_DOWN)
    send(source, alert(service="shop", severity="critical", summary="Checkout answers 503"))
    incident = only_incident()
    assert incident.title == "Shop down: ShopDown"
    assert incident.severity == 1
    assert dict(PolicyFiring.objects.values_list("policy_id", "action")) == {
        "shop-down": Action.DECLARED,
        "downtime-critical": Action.JOINED,
    }
    entries = incident.timeline.filter(kind=TimelineKind.TRIGGER).order_by("id")
    assert describe_event(entries[0]).startswith(
        "Trigger policy shop-down (Downtime or degradation) declared this incident."
    )
    assert "Opened by the trigger policy shop-down" in incident.summary


def test_data_loss_joining_an_open_incident_raises_its_severity(source: AlertSource) -> None:
    send(source, alert("SlowCheckout", service="shop", severity="warning", starts_at=T0))
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        services.run_checks()
        incident = only_incident()
        assert incident.severity == 3
        send(source, alert("OrdersLost", service="shop", category="data-loss"))
    incident.refresh_from_db()
    assert incident.severity == 2
    firing = PolicyFiring.objects.get(policy_id="data-loss")
    assert firing.action == Action.ESCALATED
    assert (firing.details["from"], firing.details["to"]) == (3, 2)
    assert not incident.private  # visibility is never changed behind responders' backs
    assert services.full_postmortem_required(incident)


# --- modes ----------------------------------------------------------------------------


def test_propose_mode_records_a_proposal_and_no_incident(
    source: AlertSource, policy_file: Callable[[str], Path], fired: support.Fired
) -> None:
    policy_file("policies:\n  - id: downtime-critical\n    mode: propose\n")
    send(source, alert(service="shop", severity="critical"))
    assert not Incident.objects.exists()
    proposal = Proposal.objects.get()
    assert proposal.kind == ProposalKind.DECLARE
    assert proposal.details["severity"] == 2
    assert proposal.details["services"] == ["shop"]
    assert fired.firings[0].action == Action.PROPOSED
    # Repeats and the periodic check do not propose again.
    send(source, alert(service="shop", severity="critical"), now=T0 + timedelta(minutes=1))
    services.run_checks()
    assert Proposal.objects.count() == 1


def test_notify_mode_only_records_and_publishes(
    source: AlertSource, policy_file: Callable[[str], Path], fired: support.Fired
) -> None:
    policy_file("policies:\n  - id: downtime-critical\n    mode: notify\n")
    send(source, alert(service="shop", severity="critical"))
    assert not Incident.objects.exists()
    assert not Proposal.objects.exists()
    firing = PolicyFiring.objects.get()
    assert firing.action == Action.NOTIFIED
    assert fired.firings == [firing]


def test_a_disabled_policy_does_nothing(
    source: AlertSource, policy_file: Callable[[str], Path]
) -> None:
    policy_file("policies:\n  - id: downtime-critical\n    enabled: false\n")
    send(source, alert(service="shop", severity="critical"))
    services.run_checks()
    assert not Incident.objects.exists()


# --- storms, episodes, heartbeats -------------------------------------------------------


def test_a_storm_of_10000_alerts_in_one_group_opens_exactly_one_incident(
    source: AlertSource,
) -> None:
    storm = [
        alert(service="shop", severity="critical", instance=f"pod-{n}", fingerprint=f"fp-{n}")
        for n in range(10_000)
    ]
    for start in range(0, len(storm), 1000):
        send(source, *storm[start : start + 1000], now=T0 + timedelta(seconds=start // 1000))
    incident = only_incident()
    assert PolicyFiring.objects.count() == 1
    # Every alert is stored with its group; the timeline stays readable.
    alert_entries = incident.timeline.filter(kind=TimelineKind.ALERT).count()
    assert alert_entries <= 200
    assert "more alerts are firing" in describe_event(
        incident.timeline.filter(kind=TimelineKind.ALERT).order_by("-id").first()  # type: ignore[arg-type]
    )


def test_a_group_firing_again_after_its_window_opens_a_new_incident(source: AlertSource) -> None:
    send(source, alert(service="shop", severity="critical"))
    first = only_incident()
    incidents.set_status(first, actor=None, status="resolved")
    send(
        source,
        alert(service="shop", severity="critical", status="resolved"),
        now=T0 + timedelta(minutes=10),
    )
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        send(source, alert(service="shop", severity="critical", starts_at=T0 + timedelta(hours=3)))
    assert Incident.objects.count() == 2


def test_the_watchdog_alert_never_opens_an_incident(source: AlertSource) -> None:
    send(source, alert("Watchdog", severity="critical", group="watchdog"))
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        send(source, alert("Watchdog", severity="critical", group="watchdog"))
        services.run_checks()
    assert not Incident.objects.exists()


def test_alerts_firing_past_the_resolution_threshold_open_an_incident(source: AlertSource) -> None:
    send(source, alert("QueueBacklog", service="mail", severity="info"))
    with time_machine.travel(T0 + timedelta(hours=23), tick=False):
        services.run_checks()
    assert not Incident.objects.exists()
    with time_machine.travel(T0 + timedelta(days=1, minutes=1), tick=False):
        services.run_checks()
        services.run_checks()
    incident = only_incident()
    assert incident.title == "Alert firing for more than 1 d: QueueBacklog"
    assert PolicyFiring.objects.get().policy_id == "resolution-time"
    assert AlertGroup.objects.get().incident_id == incident.pk

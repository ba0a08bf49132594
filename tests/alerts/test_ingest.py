"""Deduplication, grouping and the alerts_received contract the triggers
app builds on, against the real database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from pytest_django import Settings

from hotwash.alerts.ingest import IncomingAlert, ingest
from hotwash.alerts.models import Alert, AlertGroup, AlertSource
from hotwash.alerts.services import create_source
from hotwash.alerts.signals import alerts_received
from hotwash.incidents import services as incidents
from tests.integrations.alertmanager.payloads import am_alert, am_payload
from tests.integrations.generic.payloads import generic_alert, generic_payload

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 3, 12, tzinfo=UTC)


@dataclass
class Call:
    group: AlertGroup
    new: list[str]
    refired: list[str]
    resolved: list[str]
    now: datetime
    in_transaction: bool


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        self.calls.append(
            Call(
                group=kwargs["group"],
                new=[a.fingerprint for a in kwargs["new_alerts"]],
                refired=[a.fingerprint for a in kwargs["refired_alerts"]],
                resolved=[a.fingerprint for a in kwargs["resolved_alerts"]],
                now=kwargs["now"],
                in_transaction=connection.in_atomic_block,
            )
        )


@pytest.fixture
def received() -> Iterator[Recorder]:
    recorder = Recorder()
    alerts_received.connect(recorder, weak=False)
    yield recorder
    alerts_received.disconnect(recorder)


@pytest.fixture
def am(db: None) -> tuple[AlertSource, Client]:
    source, token = create_source(name="prometheus", kind="alertmanager")
    return source, Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def generic(db: None) -> tuple[AlertSource, Client]:
    source, token = create_source(name="scripts", kind="generic")
    return source, Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def post(client: Client, kind: str, body: bytes) -> dict[str, Any]:
    response = client.post(f"/api/v1/alerts/{kind}", body, content_type="application/json")
    assert response.status_code == 200, response.content
    result: dict[str, Any] = response.json()
    return result


def incoming(fingerprint: str, status: str = "firing", **kwargs: Any) -> IncomingAlert:
    labels = {"alertname": "Disk", "service": "db", **kwargs.pop("labels", {})}
    return IncomingAlert(fingerprint=fingerprint, status=status, labels=labels, **kwargs)


def test_a_repeat_notification_updates_the_group_and_makes_no_duplicate(
    am: tuple[AlertSource, Client], received: Recorder
) -> None:
    _source, client = am
    body = am_payload(am_alert(fingerprint="f1", instance="a"))
    first = post(client, "alertmanager", body)
    second = post(client, "alertmanager", body)
    assert first["groups"][0]["new"] == 1 and second["groups"][0]["new"] == 0
    assert Alert.objects.get().notification_count == 2
    group = AlertGroup.objects.get()
    assert group.status == "firing"
    assert group.labels["alertname"] == "ShopDown"
    assert first["groups"][0]["id"] == second["groups"][0]["id"] == group.pk
    # Every notification tells the receivers (a repeat is a heartbeat), inside
    # the transaction, and only the first one has a new alert.
    assert [(c.new, c.refired, c.resolved) for c in received.calls] == [
        (["f1"], [], []),
        ([], [], []),
    ]
    assert all(call.in_transaction for call in received.calls)


def test_new_alerts_join_the_group_and_resolving_all_resolves_it(
    am: tuple[AlertSource, Client], received: Recorder
) -> None:
    _source, client = am
    post(client, "alertmanager", am_payload(am_alert(fingerprint="f1", instance="a")))
    post(
        client,
        "alertmanager",
        am_payload(
            am_alert(fingerprint="f1", instance="a"), am_alert(fingerprint="f2", instance="b")
        ),
    )
    resolved_one = am_alert(
        fingerprint="f1", instance="a", status="resolved", ends_at="2026-11-26T03:20:00Z"
    )
    post(client, "alertmanager", am_payload(resolved_one, am_alert(fingerprint="f2", instance="b")))
    assert AlertGroup.objects.get().status == "firing"  # f2 still fires
    resolved_two = am_alert(
        fingerprint="f2", instance="b", status="resolved", ends_at="2026-11-26T03:25:00Z"
    )
    result = post(client, "alertmanager", am_payload(resolved_one, resolved_two))
    group = AlertGroup.objects.get()
    assert result["groups"][0]["status"] == group.status == "resolved"
    assert group.resolved_at is not None
    assert Alert.objects.get(fingerprint="f2").ends_at == datetime(2026, 11, 26, 3, 25, tzinfo=UTC)
    assert [(c.new, c.resolved, c.group.status) for c in received.calls] == [
        (["f1"], [], "firing"),
        (["f2"], [], "firing"),
        ([], ["f1"], "firing"),
        ([], ["f2"], "resolved"),  # the receiver sees the group already resolved
    ]


def test_a_resolved_alert_that_fires_again_is_refired(
    am: tuple[AlertSource, Client], received: Recorder
) -> None:
    _source, client = am
    post(client, "alertmanager", am_payload(am_alert(fingerprint="f1")))
    post(
        client,
        "alertmanager",
        am_payload(am_alert(fingerprint="f1", status="resolved", ends_at="2026-11-26T03:20:00Z")),
    )
    again = am_alert(fingerprint="f1", starts_at="2026-11-26T03:40:00Z")
    post(client, "alertmanager", am_payload(again))
    assert received.calls[-1].refired == ["f1"] and received.calls[-1].new == []
    alert = Alert.objects.get()
    assert (alert.status, alert.ends_at, alert.notification_count) == ("firing", None, 3)
    assert AlertGroup.objects.get().status == "firing"


def test_a_late_retry_of_an_old_notification_is_not_applied(
    am: tuple[AlertSource, Client], received: Recorder
) -> None:
    """Alertmanager retries failed deliveries; a retry of "firing" that
    arrives after "resolved" must not make the alert fire again."""
    _source, client = am
    firing = am_payload(am_alert(fingerprint="f1"))
    post(client, "alertmanager", firing)
    post(
        client,
        "alertmanager",
        am_payload(am_alert(fingerprint="f1", status="resolved", ends_at="2026-11-26T03:20:00Z")),
    )
    result = post(client, "alertmanager", firing)
    assert result["stale"] == 1 and result["stored"] == 0
    assert Alert.objects.get().status == "resolved"
    assert AlertGroup.objects.get().status == "resolved"
    assert received.calls[-1].refired == []


def test_one_request_can_carry_alerts_of_several_groups(
    generic: tuple[AlertSource, Client], received: Recorder
) -> None:
    """Without a group key, alerts are grouped by the source's grouping
    labels (alertname and service by default)."""
    _source, client = generic
    result = post(
        client,
        "generic",
        generic_payload(
            generic_alert("a1", service="shop"),
            generic_alert("a2", service="shop", instance="2"),
            generic_alert("b1", service="search"),
        ),
    )
    assert sorted(g["new"] for g in result["groups"]) == [1, 2]
    assert AlertGroup.objects.count() == 2
    shop = AlertGroup.objects.get(alerts__fingerprint="a1")
    assert shop.labels == {"alertname": "Storm", "service": "shop"}
    assert set(shop.alerts.values_list("fingerprint", flat=True)) == {"a1", "a2"}
    assert len(received.calls) == 2  # once per group


def test_the_grouping_labels_are_the_sources_and_a_group_key_wins(db: None) -> None:
    source, _token = create_source(name="cron", kind="generic", group_by=["team"])
    ingest(
        source,
        [
            incoming("x", labels={"team": "data"}),
            incoming("y", labels={"team": "data", "service": "other"}),
        ],
        now=T0,
    )
    assert AlertGroup.objects.get().labels == {"team": "data"}
    ingest(source, [incoming("z", labels={"team": "data"}, group_key="nightly")], now=T0)
    assert AlertGroup.objects.filter(group_key="nightly").exists()


def test_an_alert_stays_in_the_group_it_first_arrived_in(db: None, received: Recorder) -> None:
    source, _token = create_source(name="am", kind="alertmanager")
    ingest(source, [incoming("f1", group_key="route-a")], now=T0)
    ingest(
        source,
        [incoming("f1", status="resolved", group_key="route-b")],
        now=T0 + timedelta(minutes=5),
    )
    alert = Alert.objects.get()
    assert alert.group.group_key == "route-a"
    assert alert.group.status == "resolved"
    assert received.calls[-1].group.group_key == "route-a"
    assert received.calls[-1].resolved == ["f1"]


def test_a_group_quiet_for_longer_than_the_window_starts_a_new_episode(
    db: None, responder: User, settings: Settings, received: Recorder
) -> None:
    settings.ALERTS_GROUP_WINDOW_SECONDS = 3600
    source, _token = create_source(name="am", kind="alertmanager")
    ingest(source, [incoming("f1", group_key="g", starts_at=T0)], now=T0)
    group = AlertGroup.objects.get()
    incident = incidents.declare_incident(actor=responder, title="Disk full")
    AlertGroup.objects.filter(pk=group.pk).update(incident=incident)
    ingest(
        source,
        [incoming("f1", "resolved", group_key="g", ends_at=T0 + timedelta(minutes=10))],
        now=T0 + timedelta(minutes=10),
    )
    # Flapping within the window: the same episode, the same incident.
    refire = T0 + timedelta(minutes=30)
    ingest(source, [incoming("f1", group_key="g", starts_at=refire)], now=refire)
    group.refresh_from_db()
    assert (group.incident_id, group.first_fired_at) == (incident.pk, T0)
    ingest(
        source,
        [incoming("f1", "resolved", group_key="g", ends_at=refire + timedelta(minutes=1))],
        now=refire + timedelta(minutes=1),
    )
    # Quiet for longer than the window: a new episode, without an incident.
    later = refire + timedelta(hours=3)
    ingest(source, [incoming("f1", group_key="g", starts_at=later)], now=later)
    group.refresh_from_db()
    assert (group.incident_id, group.first_fired_at, group.status) == (None, later, "firing")
    assert received.calls[-1].group.incident_id is None
    assert received.calls[-1].refired == ["f1"]


def test_an_alert_first_seen_resolved_is_new_and_resolved(db: None, received: Recorder) -> None:
    source, _token = create_source(name="am", kind="alertmanager")
    ingest(
        source,
        [
            incoming(
                "f1", "resolved", group_key="g", starts_at=T0, ends_at=T0 + timedelta(minutes=1)
            )
        ],
        now=T0 + timedelta(minutes=2),
    )
    assert (received.calls[0].new, received.calls[0].resolved) == (["f1"], ["f1"])
    assert AlertGroup.objects.get().status == "resolved"


def test_the_alerts_a_receiver_gets_are_complete_rows(db: None) -> None:
    source, _token = create_source(name="am", kind="alertmanager")
    seen: list[Any] = []

    def receiver(sender: Any, group: AlertGroup, new_alerts: list[Alert], **kwargs: Any) -> None:
        seen.extend(new_alerts)
        # What a trigger receiver does: link the group to an incident.
        group.save(update_fields=["updated_at"])

    alerts_received.connect(receiver, weak=False)
    try:
        ingest(
            source,
            [
                incoming(
                    "f1",
                    group_key="g",
                    starts_at=T0,
                    annotations={"summary": "s"},
                    generator_url="http://x",
                )
            ],
            now=T0,
        )
    finally:
        alerts_received.disconnect(receiver)
    (alert,) = seen
    stored = Alert.objects.get()
    for name in (
        "pk",
        "fingerprint",
        "status",
        "labels",
        "annotations",
        "starts_at",
        "generator_url",
        "first_received_at",
        "notification_count",
        "group_id",
        "source_id",
    ):
        assert getattr(alert, name) == getattr(stored, name), name


def test_a_failing_receiver_rolls_the_whole_request_back(am: tuple[AlertSource, Client]) -> None:
    _source, client = am

    def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("receiver failed")

    alerts_received.connect(broken, weak=False)
    client.raise_request_exception = False
    try:
        response = client.post(
            "/api/v1/alerts/alertmanager",
            am_payload(am_alert(fingerprint="f1")),
            content_type="application/json",
        )
    finally:
        alerts_received.disconnect(broken)
    assert response.status_code == 500  # so Alertmanager retries
    assert not Alert.objects.exists() and not AlertGroup.objects.exists()


def test_a_long_group_key_is_kept_unique(db: None) -> None:
    source, _token = create_source(name="am", kind="alertmanager")
    key = "{}:{" + ",".join(f'label{i}="{"v" * 20}"' for i in range(40)) + "}"
    ingest(source, [incoming("a", group_key=key), incoming("b", group_key=key + "x")], now=T0)
    assert AlertGroup.objects.count() == 2
    assert all(len(g.group_key) <= 500 for g in AlertGroup.objects.all())


def test_a_big_batch_is_stored_in_one_request(generic: tuple[AlertSource, Client]) -> None:
    _source, client = generic
    alerts = [generic_alert(f"fp-{i}", instance=str(i)) for i in range(2500)]
    result = post(client, "generic", generic_payload(*alerts))
    assert result["stored"] == 2500 and result["groups"][0]["new"] == 2500
    assert Alert.objects.count() == 2500 and AlertGroup.objects.count() == 1


# --- with the triggers app's receiver (the shipped policies) -----------------------------


def test_a_critical_alert_opens_one_incident_and_its_resolution_is_on_the_timeline(
    am: tuple[AlertSource, Client],
) -> None:
    from hotwash.incidents.models import Incident, TimelineKind

    _source, client = am
    first = am_alert(fingerprint="f1", instance="a")
    opened = post(client, "alertmanager", am_payload(first))
    ref = opened["groups"][0]["incident"]
    assert ref is not None
    post(client, "alertmanager", am_payload(first))  # a repeat
    post(client, "alertmanager", am_payload(first, am_alert(fingerprint="f2", instance="b")))
    assert Incident.objects.count() == 1
    incident = Incident.objects.get()
    assert incident.ref == ref and incident.detection_source == "alert"
    resolved = [
        am_alert(fingerprint=f, instance=i, status="resolved", ends_at="2026-11-26T03:30:00Z")
        for f, i in (("f1", "a"), ("f2", "b"))
    ]
    post(client, "alertmanager", am_payload(*resolved))
    events = [
        entry.data.get("event")
        for entry in incident.timeline.filter(kind=TimelineKind.ALERT).order_by("id")
    ]
    assert events.count("firing") == 2 and events.count("resolved") == 2
    assert AlertGroup.objects.get().status == "resolved"
    assert Incident.objects.count() == 1

"""Group commit: concurrent requests share a commit, each answers only after
it, and one failing request fails alone."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction
from pytest_django import Settings

from hotwash.alerts.committer import Committer
from hotwash.alerts.ingest import IncomingAlert, ingest
from hotwash.alerts.models import Alert, AlertGroup
from hotwash.alerts.services import create_source
from hotwash.alerts.signals import alerts_received

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _group_commit(settings: Settings) -> None:
    settings.ALERTS_GROUP_COMMIT = True


def run_each(items: list[Any]) -> list[Any]:
    return [item() for item in items]


def test_work_queued_meanwhile_shares_one_commit() -> None:
    committer: Committer[Any, str] = Committer(run_each)
    started, release = threading.Event(), threading.Event()
    committed: list[str] = []
    seen_before_commit: dict[str, int] = {}

    def work(name: str, first: bool = False) -> str:
        if first:
            started.set()
            release.wait(10)
        seen_before_commit[name] = len(committed)
        transaction.on_commit(lambda: committed.append(name))
        return name

    results: dict[str, str] = {}

    def submit(name: str, first: bool = False) -> None:
        results[name] = committer.submit(lambda: work(name, first))

    threads = [threading.Thread(target=submit, args=("a", True))]
    threads[0].start()
    assert started.wait(10)
    threads += [threading.Thread(target=submit, args=(name,)) for name in "bcd"]
    for thread in threads[1:]:
        thread.start()
    while len(committer._queue) < 3:  # b, c and d wait for a's commit
        threading.Event().wait(0.01)
    release.set()
    for thread in threads:
        thread.join(10)
    assert results == {"a": "a", "b": "b", "c": "c", "d": "d"}
    assert committed[0] == "a" and sorted(committed[1:]) == ["b", "c", "d"]
    # b, c and d ran in one transaction: none saw another's commit.
    assert {seen_before_commit[name] for name in "bcd"} == {1}


def test_a_failing_request_fails_alone(db: None) -> None:
    source, _token = create_source(name="am", kind="alertmanager")

    def picky(sender: Any, group: AlertGroup, **kwargs: Any) -> None:
        if group.group_key == "bad":
            raise RuntimeError("this receiver does not like the bad group")

    alerts_received.connect(picky, weak=False)
    errors: dict[str, BaseException] = {}

    def post(key: str, fingerprint: str) -> None:
        try:
            ingest(
                source, [IncomingAlert(fingerprint, "firing", {"alertname": key}, group_key=key)]
            )
        except BaseException as error:
            errors[key] = error

    try:
        threads = [
            threading.Thread(target=post, args=(key, f"{key}-{n}"))
            for n in range(5)
            for key in ("good", "bad", "fine")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        alerts_received.disconnect(picky)
    assert set(errors) == {"bad"}
    assert not AlertGroup.objects.filter(group_key="bad").exists()
    assert Alert.objects.filter(group__group_key="good").count() == 5
    assert Alert.objects.filter(group__group_key="fine").count() == 5


def test_concurrent_requests_for_one_group_open_one_incident(db: None) -> None:
    from hotwash.incidents import services as incidents
    from hotwash.incidents.models import Incident

    source, _token = create_source(name="am", kind="alertmanager")

    def link(sender: Any, group: AlertGroup, **kwargs: Any) -> None:
        # What the triggers app does: the first request opens, the others join.
        if group.incident_id is None:
            group.incident = incidents.declare_incident(actor=None, title="Storm")
            group.save(update_fields=["incident"])

    def post(n: int) -> None:
        alert = IncomingAlert(f"fp-{n}", "firing", {"alertname": "Storm"}, group_key="g")
        ingest(source, [alert])

    alerts_received.connect(link, weak=False)
    try:
        threads = [threading.Thread(target=post, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        alerts_received.disconnect(link)
    assert AlertGroup.objects.count() == 1 and Alert.objects.count() == 20
    assert Incident.objects.count() == 1


def test_inside_a_transaction_the_work_runs_in_it(db: None) -> None:
    committer: Committer[Any, bool] = Committer(run_each)
    with transaction.atomic():
        outer = connection.savepoint_ids[:]
        assert committer(lambda: connection.in_atomic_block and connection.savepoint_ids != outer)
    assert committer._thread is None  # never handed to the writer


def test_requests_stored_together_behave_as_if_one_by_one(db: None) -> None:
    """The writer stores a batch's requests with shared statements; a request
    repeating an earlier one's alert waits for the next round, and signals
    go out per request, in order."""
    from datetime import UTC, datetime

    from hotwash.alerts import ingest as ingestion

    source, _token = create_source(name="am", kind="alertmanager")
    other, _token = create_source(name="grafana", kind="grafana")
    now = datetime(2026, 11, 26, 3, 12, tzinfo=UTC)

    def unit(src: Any, *alerts: IncomingAlert) -> Any:
        return ingestion._Unit(src, ingestion._prepare(src, alerts, now), len(alerts), now)

    calls: list[tuple[str, list[str], list[str]]] = []

    def record(sender: Any, group: AlertGroup, **kwargs: Any) -> None:
        calls.append(
            (
                group.group_key,
                [a.fingerprint for a in kwargs["new_alerts"]],
                [a.fingerprint for a in kwargs["resolved_alerts"]],
            )
        )

    units = [
        unit(
            source, IncomingAlert("f1", "firing", {"alertname": "A"}, group_key="g1", starts_at=now)
        ),
        unit(source, IncomingAlert("f2", "firing", {"alertname": "B"}, group_key="g2")),
        # The same fingerprint in another source is another alert: same round.
        unit(other, IncomingAlert("f1", "firing", {"alertname": "A"}, group_key="g1")),
        # f1 of the first source again: a second round.
        unit(
            source, IncomingAlert("f1", "resolved", {"alertname": "A"}, group_key="g1", ends_at=now)
        ),
    ]
    alerts_received.connect(record, weak=False)
    try:
        with transaction.atomic():
            results = ingestion._store_units(units)
    finally:
        alerts_received.disconnect(record)
    assert [(r.stored, r.groups[0].group.group_key) for r in results] == [
        (1, "g1"),
        (1, "g2"),
        (1, "g1"),
        (1, "g1"),
    ]
    assert calls == [("g1", ["f1"], []), ("g2", ["f2"], []), ("g1", ["f1"], []), ("g1", [], ["f1"])]
    first = Alert.objects.get(source=source, fingerprint="f1")
    assert (first.status, first.notification_count) == ("resolved", 2)
    assert Alert.objects.get(source=other, fingerprint="f1").status == "firing"
    assert AlertGroup.objects.get(source=source, group_key="g1").status == "resolved"
    assert AlertGroup.objects.count() == 3

"""The live-update bus in one process: the hub's fan-out, and announcements
that go out when a transaction commits and never when it rolls back."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection, transaction

from hotwash.live import bus
from hotwash.live.bus import Hub, hub, publish_incident_change

WAIT = 10.0  # seconds to wait for something that should arrive; never asserted


class Boom(Exception):
    pass


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- Hub -------------------------------------------------------------------


def test_it_delivers_a_message_to_the_subscribers_of_its_incident_only() -> None:
    local = Hub()
    with local.subscribe(1) as first, local.subscribe(1) as second, local.subscribe(2) as other:
        local.dispatch({"incident": 1, "kind": "timeline"})
        assert first.get_nowait()["kind"] == "timeline"
        assert second.get_nowait()["kind"] == "timeline"
        assert other.empty()


def test_it_tells_every_subscriber_to_resynchronise() -> None:
    local = Hub()
    with local.subscribe(1) as first, local.subscribe(2) as second:
        local.dispatch_all({"incident": 0, "kind": bus.RESYNC})
        assert first.get_nowait()["kind"] == bus.RESYNC
        assert second.get_nowait()["kind"] == bus.RESYNC


def test_it_forgets_a_subscriber_when_its_block_ends_even_on_error() -> None:
    local = Hub()
    with contextlib.suppress(Boom), local.subscribe(1):
        assert local.subscriber_count() == 1
        raise Boom
    assert local.subscriber_count() == 0
    local.dispatch({"incident": 1, "kind": "timeline"})  # nobody left: no error


def test_it_ignores_a_message_without_a_usable_incident() -> None:
    local = Hub()
    with local.subscribe(1) as inbox:
        local.dispatch({"incident": "not a number", "kind": "timeline"})
        local.dispatch({"kind": "timeline"})
        assert inbox.empty()


# --- publishing -------------------------------------------------------------


def test_it_announces_a_change_once_the_transaction_commits(transactional_db: None) -> None:
    bus.ensure_listener()
    with hub.subscribe(7) as inbox:
        with transaction.atomic():
            publish_incident_change(7, "timeline")
            assert inbox.empty()
        message = inbox.get(timeout=WAIT)
    assert message["incident"] == 7
    assert message["kind"] == "timeline"
    assert message["at"]


def test_it_announces_nothing_when_the_transaction_rolls_back(transactional_db: None) -> None:
    bus.ensure_listener()
    with hub.subscribe(7) as inbox:
        with contextlib.suppress(Boom), transaction.atomic():
            publish_incident_change(7, "rolled back")
            raise Boom
        # Announcements arrive in commit order, so if the rolled-back one had
        # gone out it would come before this one.
        with transaction.atomic():
            publish_incident_change(7, "committed")
        assert inbox.get(timeout=WAIT)["kind"] == "committed"
        assert inbox.empty()


@contextlib.contextmanager
def own_listen_connection() -> Iterator[psycopg.Connection[Any]]:
    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(f"LISTEN {bus.CHANNEL}")
        yield conn


def test_on_postgresql_the_announcement_is_a_notify_any_process_can_hear(
    transactional_db: None,
) -> None:
    if not on_postgresql():
        pytest.skip("SQLite has no cross-process channel: announcements stay in one process.")
    with own_listen_connection() as listener:
        with contextlib.suppress(Boom), transaction.atomic():
            publish_incident_change(9, "rolled back")
            raise Boom
        with transaction.atomic():
            publish_incident_change(9, "timeline")
        payloads = [n.payload for n in listener.notifies(timeout=WAIT, stop_after=1)]
    assert [json.loads(p)["kind"] for p in payloads] == ["timeline"]
    assert json.loads(payloads[0])["incident"] == 9


def test_on_postgresql_a_reconnected_listener_tells_subscribers_to_resynchronise(
    transactional_db: None,
) -> None:
    if not on_postgresql():
        pytest.skip("Only the PostgreSQL listener has a connection to lose.")
    bus.ensure_listener()
    with hub.subscribe(3) as inbox:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query = %s AND pid <> pg_backend_pid()",
                [f"LISTEN {bus.CHANNEL}"],
            )
            assert cursor.fetchone() is not None
        assert inbox.get(timeout=WAIT)["kind"] == bus.RESYNC
        # The resync goes out once LISTEN is back in place, so later changes
        # arrive again.
        with transaction.atomic():
            publish_incident_change(3, "timeline")
        assert inbox.get(timeout=WAIT)["kind"] == "timeline"

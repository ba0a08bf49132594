"""Tell live subscribers that an incident changed.

Messages carry only the incident id and what kind of change it was, never
content: each subscriber re-reads what it is allowed to see, in its own
language and time zone.

- PostgreSQL: the service sends `pg_notify` inside its transaction, and
  PostgreSQL delivers it only if and when that transaction commits, to every
  process listening. Each server process runs one listener thread (started by
  its first subscriber) that hands messages to the in-process hub.
- SQLite: there is no cross-process channel, so the message goes straight to
  this process's hub after the commit (single-process deployments).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

CHANNEL = "hotwash_live"
RESYNC = "resync"
# The kinds of change services announce. Event streams name their events
# after these and map any other kind to "change", so a browser that listens
# for KINDS + ("change", RESYNC) never misses one; add new kinds here.
KINDS = ("declared", "updated", "timeline", "role", "participants", "task", "visibility")
# "Who may see this incident changed" (it turned private): each stream
# checks again that its reader still may, and ends at once if not.
VISIBILITY = "visibility"
# How often the listener wakes up to check it should stop, and how often it
# proves its connection is alive: a silently dropped connection would
# otherwise just look like a quiet incident.
LISTENER_POLL_SECONDS = 1.0
LISTENER_HEALTH_SECONDS = 30.0


class HubFull(Exception):
    """No room for another subscriber: in the process (`per_owner` False)
    or for this owner (True)."""

    def __init__(self, *, per_owner: bool) -> None:
        super().__init__("per owner" if per_owner else "process")
        self.per_owner = per_owner


class Hub:
    """In-process fan-out from published messages to subscriber queues."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[int, set[queue.SimpleQueue[dict[str, Any]]]] = {}
        self._owned: dict[Any, int] = {}

    @contextlib.contextmanager
    def subscribe(
        self,
        incident_id: int,
        *,
        owner: Any = None,
        max_total: int | None = None,
        max_per_owner: int | None = None,
    ) -> Iterator[queue.SimpleQueue[dict[str, Any]]]:
        """An inbox for `incident_id`'s messages while the block runs.
        The limits are checked and the slot taken under one lock, so two
        requests at once cannot both take the last slot (HubFull)."""
        inbox: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        with self._lock:
            if max_total is not None and self._count() >= max_total:
                raise HubFull(per_owner=False)
            if owner is not None:
                held = self._owned.get(owner, 0)
                if max_per_owner is not None and held >= max_per_owner:
                    raise HubFull(per_owner=True)
                self._owned[owner] = held + 1
            self._subscribers.setdefault(incident_id, set()).add(inbox)
        try:
            yield inbox
        finally:
            with self._lock:
                inboxes = self._subscribers.get(incident_id)
                if inboxes is not None:
                    inboxes.discard(inbox)
                    if not inboxes:
                        del self._subscribers[incident_id]
                if owner is not None:
                    left = self._owned.get(owner, 1) - 1
                    if left > 0:
                        self._owned[owner] = left
                    else:
                        self._owned.pop(owner, None)

    def dispatch(self, message: dict[str, Any]) -> None:
        try:
            incident_id = int(message.get("incident", 0))
        except (TypeError, ValueError):
            logger.warning("Ignoring live message without an incident: %r", message)
            return
        with self._lock:
            inboxes = list(self._subscribers.get(incident_id, ()))
        for inbox in inboxes:
            inbox.put(message)

    def dispatch_all(self, message: dict[str, Any]) -> None:
        with self._lock:
            inboxes = [inbox for group in self._subscribers.values() for inbox in group]
        for inbox in inboxes:
            inbox.put(message)

    def subscriber_count(self, owner: Any = None) -> int:
        """Subscribers in this process, or those of `owner`."""
        with self._lock:
            if owner is not None:
                return self._owned.get(owner, 0)
            return self._count()

    def _count(self) -> int:
        return sum(len(group) for group in self._subscribers.values())


hub = Hub()


def publish_incident_change(incident_id: int, kind: str) -> None:
    """Announce a change to incident `incident_id`. Call inside the service's
    transaction: nothing is announced if it rolls back."""
    message = {"incident": incident_id, "kind": kind, "at": timezone.now().isoformat()}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, json.dumps(message)])
    else:
        transaction.on_commit(lambda: hub.dispatch(message))


class PostgresListener(threading.Thread):
    """LISTENs on the channel on its own connection and feeds the hub.

    After a lost connection it reconnects with backoff and tells every
    subscriber to resynchronise, since NOTIFY messages sent meanwhile are
    gone."""

    def __init__(self, conninfo: dict[str, Any]) -> None:
        super().__init__(name="hotwash-live-listener", daemon=True)
        # TCP keepalives notice a peer that vanished without closing the
        # connection (a failover, a dropped NAT entry) within about a minute.
        self.conninfo = {
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            **conninfo,
        }
        self.ready = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        delay = 0.5
        first = True
        while not self.stopping.is_set():
            try:
                self._listen(resync=not first)
                first = False
                delay = 0.5
            except Exception:
                first = False
                logger.exception("Live listener lost its database connection; reconnecting")
                self.stopping.wait(delay)
                delay = min(delay * 2, 10.0)

    def _listen(self, *, resync: bool) -> None:
        # Imported here: only PostgreSQL deployments listen, so a SQLite one
        # never loads the driver.
        import psycopg

        with psycopg.connect(**self.conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.ready.set()
            if resync:
                hub.dispatch_all({"incident": 0, "kind": RESYNC})
            checked = time.monotonic()
            while not self.stopping.is_set():
                for notify in conn.notifies(timeout=LISTENER_POLL_SECONDS):
                    self._deliver(notify.payload)
                if time.monotonic() - checked > LISTENER_HEALTH_SECONDS:
                    conn.execute("SELECT 1")
                    checked = time.monotonic()

    @staticmethod
    def _deliver(payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            message = None
        if isinstance(message, dict):
            hub.dispatch(message)
        else:
            logger.warning("Ignoring malformed live message %r", payload)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.join(timeout)


_listener: PostgresListener | None = None
_listener_lock = threading.Lock()


def ensure_listener(timeout: float = 5.0) -> None:
    """Start this process's PostgreSQL listener, once. No-op on SQLite."""
    global _listener
    if connection.vendor != "postgresql":
        return
    with _listener_lock:
        if _listener is None or not _listener.is_alive() or _listener.stopping.is_set():
            params = connection.get_connection_params()
            params.pop("cursor_factory", None)
            params.pop("context", None)
            params.pop("prepare_threshold", None)
            _listener = PostgresListener(params)
            _listener.start()
        listener = _listener
    # Wait until LISTEN is in place, so a change made right after subscribing
    # is not missed.
    listener.ready.wait(timeout)


def stop_listener() -> None:
    """Stop this process's listener and close its connection (tests use this
    before dropping their database; the next subscriber starts a new one)."""
    global _listener
    with _listener_lock:
        listener, _listener = _listener, None
    if listener is not None:
        listener.stop()

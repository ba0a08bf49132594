"""The one path every alert takes into the database: deduplicate, group,
commit, tell the triggers app.

Each kind of source (sources.py) turns its payload into `IncomingAlert`s;
`ingest` stores a whole request's alerts in one transaction with a fixed
number of statements, whatever the number of alerts:

1. one multi-row upsert of the request's groups (INSERT ... ON CONFLICT DO
   UPDATE), which on PostgreSQL also locks their rows until the commit, so
   concurrent requests for one group queue instead of racing (on SQLite
   every write transaction is serialised already);
2. one multi-row upsert of the alerts that returns, for each, its status
   before and after (`previous_status`) and how often it has been notified,
   which is all it takes to tell new, re-fired and newly resolved alerts
   apart without reading them first (on PostgreSQL, 1 and 2 are one
   statement, the groups' upsert in its WITH clause);
3. when a group's status may have changed, one UPDATE that recomputes it;
4. the `alerts_received` signal, once per group.

On SQLite, requests arriving together share the transaction and the
statements (committer.py, _store_units): the writer thread stores them as
one, then sends each request's signals in arrival order.

The statements are raw SQL because the ORM cannot say "ON CONFLICT DO
UPDATE ... WHERE ... RETURNING" with the old row's values; SQLite and
PostgreSQL share that syntax.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.base import ModelState
from django.utils import timezone

from hotwash.alerts.committer import Committer
from hotwash.alerts.models import (
    GROUP_KEY_MAX,
    Alert,
    AlertGroup,
    AlertSource,
    AlertStatus,
)
from hotwash.alerts.signals import alerts_received

FIRING = AlertStatus.FIRING.value
RESOLVED = AlertStatus.RESOLVED.value

# A resolved group that fires again after this long starts a new episode
# (and may open a new incident); within it, it is the same trouble flapping.
DEFAULT_GROUP_WINDOW_SECONDS = 3600
# last_used_at is a hint for people, not an audit trail: written at most
# this often, so a storm does not rewrite the source row on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(slots=True)
class IncomingAlert:
    """One alert as a source reported it, whatever the source: what every
    parser produces and `ingest` consumes."""

    fingerprint: str
    status: str  # "firing" or "resolved"
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None  # None: now
    ends_at: datetime | None = None  # resolved alerts: None means now
    generator_url: str = ""
    # The source's own group ("" when it has none: the alert is grouped by
    # the source's grouping labels) and that group's common labels.
    group_key: str = ""
    group_labels: dict[str, str] | None = None


@dataclass
class GroupOutcome:
    group: AlertGroup
    new_alerts: list[Alert] = field(default_factory=list)
    refired_alerts: list[Alert] = field(default_factory=list)
    resolved_alerts: list[Alert] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.new_alerts or self.refired_alerts or self.resolved_alerts)


@dataclass
class IngestResult:
    received: int
    stored: int
    # Notifications older than what is stored (a late retry of a firing
    # alert that has since been resolved, or the reverse): not applied.
    stale: int
    groups: list[GroupOutcome]


def group_window() -> timedelta:
    seconds: int = getattr(settings, "ALERTS_GROUP_WINDOW_SECONDS", DEFAULT_GROUP_WINDOW_SECONDS)
    return timedelta(seconds=seconds)


def fingerprint_of(labels: dict[str, str]) -> str:
    """A stable fingerprint for an alert that has none: its sorted labels."""
    text = "\xff".join(f"{name}\xfe{labels[name]}" for name in sorted(labels))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def bounded_key(key: str) -> str:
    """Group keys longer than the column keep their start and a digest of
    the whole, so they stay unique and recognisable."""
    if len(key) <= GROUP_KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: GROUP_KEY_MAX - len(digest) - 1]}#{digest}"


def label_group(names: Sequence[str], values: Sequence[str]) -> tuple[str, dict[str, str]]:
    """The group of an alert without a group key: the values of the source's
    grouping labels `names` (a missing label counts as empty)."""
    chosen = dict(zip(names, values, strict=True))
    key = "labels:" + json.dumps(chosen, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return bounded_key(key), {name: value for name, value in chosen.items() if value}


# --- the transaction --------------------------------------------------------


@dataclass
class _PendingGroup:
    key: str
    labels: dict[str, str]
    alerts: list[IncomingAlert] = field(default_factory=list)


@dataclass
class _Unit:
    """One request's alerts, prepared: what the committer runs."""

    source: AlertSource
    pending: list[_PendingGroup]
    received: int
    now: datetime


def ingest(
    source: AlertSource, alerts: Sequence[IncomingAlert], *, now: datetime | None = None
) -> IngestResult:
    """Store a request's alerts and tell the triggers app, in one transaction.
    Returns only after the commit: a caller that answers 2xx afterwards has
    the alerts on disk. On SQLite, concurrent requests share transactions
    and statements (committer.py and _store_units)."""
    now = now or timezone.now()
    pending = _prepare(source, alerts, now)
    if not pending:
        return IngestResult(received=len(alerts), stored=0, stale=0, groups=[])
    return _committer(_Unit(source, pending, len(alerts), now))


def _store_units(units: list[_Unit]) -> list[IngestResult]:
    """Store requests in the caller's transaction, in order. Requests that
    share no alert are stored together (two statements for all of them),
    then each request's signals are sent, in order; a request that repeats
    an alert of an earlier one starts a new round, so the later notification
    is applied after the earlier one, as if they had come one by one."""
    results: list[IngestResult] = []
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        # One request at a time: PostgreSQL takes a transaction per request
        # unless ALERTS_GROUP_COMMIT says otherwise, and then each request's
        # receivers must see the groups as the previous request left them.
        for unit in units:
            results += _store_round([unit])
        return results
    round_: list[_Unit] = []
    seen: set[tuple[int, str]] = set()
    for unit in units:
        sid = unit.source.pk
        keys = {(sid, alert.fingerprint) for group in unit.pending for alert in group.alerts}
        if round_ and not seen.isdisjoint(keys):
            results += _store_round(round_)
            round_, seen = [], set()
        round_.append(unit)
        seen |= keys
    if round_:
        results += _store_round(round_)
    return results


def _store_round(units: list[_Unit]) -> list[IngestResult]:
    sql = _Sql()
    with contextlib.closing(sql):
        groups = _upsert_groups(sql, units)
        if sql.postgres:
            (unit,) = units
            rows = _upsert_alerts_postgres(sql, unit, groups)
        else:
            rows = _upsert_alerts(sql, units, groups)
        stored = [(groups, rows)] * len(units)
        outcomes = [
            _classify(sql, unit, groups, rows)
            for unit, (groups, rows) in zip(units, stored, strict=True)
        ]
        _recompute_groups(sql, [o for each in outcomes for o in each], units[-1].now)
    results = []
    for unit, unit_outcomes, (_groups, rows) in zip(units, outcomes, stored, strict=True):
        for outcome in unit_outcomes:
            alerts_received.send(
                sender=AlertGroup,
                group=outcome.group,
                new_alerts=outcome.new_alerts,
                refired_alerts=outcome.refired_alerts,
                resolved_alerts=outcome.resolved_alerts,
                now=unit.now,
            )
        _touch_source(unit.source, unit.now)
        sid = unit.source.pk
        prepared = [(sid, a.fingerprint) for g in unit.pending for a in g.alerts]
        stored_here = sum(1 for key in prepared if key in rows)
        results.append(
            IngestResult(
                received=unit.received,
                stored=stored_here,
                stale=len(prepared) - stored_here,
                groups=unit_outcomes,
            )
        )
    return results


def _prepare(
    source: AlertSource, alerts: Sequence[IncomingAlert], now: datetime
) -> list[_PendingGroup]:
    """Normalise times, keep the last notification of each fingerprint, and
    sort alerts into their groups (in key order, so that two requests lock
    the same groups in the same order and never deadlock)."""
    latest: dict[str, IncomingAlert] = {}
    for alert in alerts:
        if alert.status == FIRING:
            # A firing alert's endsAt is when it would expire, not an end.
            alert.starts_at, alert.ends_at = min(alert.starts_at or now, now), None
        else:
            # A resolution may not say when the alert started (CloudWatch's
            # OK does not); the stored start is kept then (see the upsert).
            alert.ends_at = min(alert.ends_at or now, now)
            alert.starts_at = min(alert.starts_at or alert.ends_at, alert.ends_at)
        latest.pop(alert.fingerprint, None)  # keep arrival order: last one wins
        latest[alert.fingerprint] = alert
    groups: dict[str, _PendingGroup] = {}
    names = [str(name) for name in (source.group_by or [])]
    by_labels: dict[tuple[str, ...], tuple[str, dict[str, str]]] = {}
    for alert in latest.values():
        if alert.group_key:
            key, labels = bounded_key(alert.group_key), alert.group_labels or {}
        else:
            values = tuple(str(alert.labels.get(name, "")) for name in names)
            if values not in by_labels:  # a storm has thousands of alerts, few groups
                by_labels[values] = label_group(names, values)
            key, labels = by_labels[values]
        group = groups.get(key)
        if group is None:
            group = groups[key] = _PendingGroup(key, labels)
        elif alert.group_labels is not None:
            group.labels = alert.group_labels
        group.alerts.append(alert)
    for group in groups.values():
        group.alerts.sort(key=lambda alert: alert.fingerprint)
    return [groups[key] for key in sorted(groups)]


class _Sql:
    """Table names and the vendor differences (JSON parameters, how times
    go in and come back). Looked up once per request: `connection` is a
    thread-local proxy, and a storm request touches it per alert otherwise."""

    def __init__(self) -> None:
        self.connection = connections[DEFAULT_DB_ALIAS]
        quote = self.connection.ops.quote_name
        self.alias: str = self.connection.alias
        self.postgres = self.connection.vendor == "postgresql"
        self.groups = quote(AlertGroup._meta.db_table)
        self.alerts = quote(Alert._meta.db_table)
        self.json = "%s::jsonb" if self.postgres else "%s"
        self._cursor: Any = None

    def time(self, value: datetime | None) -> Any:
        """A time as the database takes it: psycopg adapts datetimes itself;
        SQLite stores Django's text form, naive UTC ("2026-11-26 03:12:00.5"),
        which is what adapt_datetimefield_value makes, only faster."""
        if value is None or self.postgres:
            return value
        if value.utcoffset():
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ")

    @staticmethod
    def read_time(value: Any) -> datetime | None:
        if value is None or isinstance(value, datetime):
            if isinstance(value, datetime) and timezone.is_naive(value):
                return value.replace(tzinfo=UTC)
            return value
        parsed = datetime.fromisoformat(str(value))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def text_time(self, value: datetime | None) -> str | None:
        """A time inside a JSON parameter: the text each database reads."""
        if value is None:
            return None
        if self.postgres:
            return value.isoformat()
        text: str = self.time(value)
        return text

    def run(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run one of ingest's few fixed statements on the DB-API cursor,
        inside Django's error translation but past its cursor wrapper (query
        logging hooks, and on SQLite a regular expression rewriting %s into ?
        on every call): a single-alert request is mostly such overheads."""
        if self._cursor is None:
            self._cursor = self.connection.cursor()  # also opens the connection
        if self.connection.queries_logged:
            # Debug mode or a test counting queries: the ordinary path, logged.
            self._cursor.execute(statement, params)
            return list(self._cursor.fetchall())
        raw = self._cursor.cursor
        with self.connection.wrap_database_errors:
            if self.postgres:
                raw.execute(statement, params)
            else:
                sqlite3.Cursor.execute(raw, _qmark(statement), params)
            return list(raw.fetchall())

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None


@functools.lru_cache(maxsize=64)
def _qmark(statement: str) -> str:
    """SQLite's placeholder; the statements here contain no literal %."""
    return statement.replace("%s", "?")


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_dumps = _encoder.encode


GroupKey = tuple[int, str]  # (source id, group key)
AlertKey = tuple[int, str]  # (source id, fingerprint)


@dataclass
class _MergedGroup:
    source: AlertSource
    key: str
    labels: dict[str, str]
    now: datetime
    firing_starts: list[datetime] = field(default_factory=list)
    starts: list[datetime] = field(default_factory=list)


def _merged_groups(units: list[_Unit]) -> list[_MergedGroup]:
    """The groups of all the units, once each (a later request's labels
    win), in (source, key) order: the order rows are locked in."""
    merged: dict[GroupKey, _MergedGroup] = {}
    for unit in units:
        for group in unit.pending:
            key = (unit.source.pk, group.key)
            entry = merged.get(key)
            if entry is None:
                entry = merged[key] = _MergedGroup(unit.source, group.key, group.labels, unit.now)
            entry.labels, entry.now = group.labels, unit.now
            # Times are set by _prepare; only their minimum matters.
            starts = [alert.starts_at for alert in group.alerts if alert.starts_at]
            firing = [a.starts_at for a in group.alerts if a.status == FIRING and a.starts_at]
            entry.starts.append(min(starts))
            if firing:
                entry.firing_starts.append(min(firing))
    return [merged[key] for key in sorted(merged)]


def _group_params(sql: _Sql, groups: list[_MergedGroup]) -> list[Any]:
    params: list[Any] = []
    for group in groups:
        stamp = sql.time(group.now)
        firing = bool(group.firing_starts)
        params += [
            group.source.pk,
            group.key,
            _dumps(group.labels),
            FIRING if firing else RESOLVED,
            sql.time(min(group.firing_starts or group.starts)),
            stamp,
            None if firing else stamp,
            stamp,
        ]
    return params


def _upsert_groups(sql: _Sql, units: list[_Unit]) -> dict[GroupKey, AlertGroup]:
    merged = _merged_groups(units)
    statement = _groups_statement(sql.postgres, sql.groups, len(merged))
    rows = sql.run(statement, _group_params(sql, merged))
    return _group_instances(sql, merged, rows)


def _group_instances(
    sql: _Sql, merged: list[_MergedGroup], rows: Iterable[Sequence[Any]]
) -> dict[GroupKey, AlertGroup]:
    wanted = {(group.source.pk, group.key): group for group in merged}
    found: dict[GroupKey, AlertGroup] = {}
    for pk, source_id, key, status, first_fired_at, resolved_at, incident_id in rows:
        group = wanted[(source_id, key)]
        found[(source_id, key)] = _group_instance(
            group.source,
            pk=pk,
            key=key,
            labels=group.labels,
            status=status,
            first_fired_at=sql.read_time(first_fired_at) or group.now,
            resolved_at=sql.read_time(resolved_at),
            incident_id=incident_id,
            now=group.now,
        )
    return found


def _upsert_alerts_postgres(
    sql: _Sql, unit: _Unit, groups: dict[GroupKey, AlertGroup]
) -> dict[AlertKey, _Row]:
    """PostgreSQL: one request's alerts in one statement, as one JSON
    parameter unpacked by jsonb_array_elements. With Django's client-side
    binding, a dozen values per alert would each be quoted into the SQL
    text in Python; one JSON document is encoded once."""
    sid = unit.source.pk
    statement = _postgres_alerts_statement(sql.alerts)
    found = sql.run(statement, [sid, _dumps(_alert_values(sql, unit, groups))])
    return {(sid, row[1]): _Row(*row) for row in found}


@functools.lru_cache(maxsize=4)
def _postgres_alerts_statement(table: str) -> str:
    return _alerts_statement(
        True,
        table,
        "SELECT %s, (e->>0)::bigint, e->>1, e->>2, '', e->3, e->4,"
        " (e->>5)::timestamptz, (e->>6)::timestamptz, e->>7,"
        " (e->>8)::timestamptz, (e->>8)::timestamptz, 1"
        " FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n",
    )


@functools.lru_cache(maxsize=64)
def _groups_statement(postgres: bool, table: str, count: int) -> str:
    row = f"(%s, %s, {'%s::jsonb' if postgres else '%s'}, %s, %s, %s, %s, %s)"
    return (
        f"INSERT INTO {table} (source_id, group_key, labels, status, first_fired_at,"
        " last_notified_at, resolved_at, updated_at)"
        f" VALUES {', '.join([row] * count)}"
        " ON CONFLICT (source_id, group_key) DO UPDATE SET labels = excluded.labels,"
        " last_notified_at = excluded.last_notified_at, updated_at = excluded.updated_at"
        " RETURNING id, source_id, group_key, status, first_fired_at, resolved_at, incident_id"
    )


def _group_instance(
    source: AlertSource,
    *,
    pk: int,
    key: str,
    labels: dict[str, str],
    status: str,
    first_fired_at: datetime,
    resolved_at: datetime | None,
    incident_id: int | None,
    now: datetime,
) -> AlertGroup:
    # Built like the alerts (see _AlertBuilder): what from_db would make.
    group = AlertGroup.__new__(AlertGroup)
    group.__dict__.update(
        id=pk,
        source_id=source.pk,
        group_key=key,
        labels=labels,
        status=status,
        first_fired_at=first_fired_at,
        last_notified_at=now,
        resolved_at=resolved_at,
        incident_id=incident_id,
        updated_at=now,
    )
    state = group._state = ModelState()
    state.adding, state.db = False, DEFAULT_DB_ALIAS
    state.fields_cache["source"] = source
    return group


@dataclass(slots=True)
class _Row:
    pk: int
    fingerprint: str
    group_id: int
    status: str
    previous_status: str
    notification_count: int
    first_received_at: Any  # as the database returns it; read when needed
    starts_at: Any


# Rows per SQLite statement: 11 bound values each stays under SQLite's
# 32,766 (and a body over the size limit could not carry more anyway).
SQLITE_ROWS = 2500


def _upsert_alerts(
    sql: _Sql, units: list[_Unit], groups: dict[GroupKey, AlertGroup]
) -> dict[AlertKey, _Row]:
    """One statement for all the alerts of the units (SQLite), with bound
    values: SQLite binds them in C, which measured faster than one JSON
    parameter unpacked by json_each (SQLite 3.40 parses each row's JSON
    again for every column it extracts)."""
    found: dict[AlertKey, _Row] = {}
    text_time = sql.text_time
    params: list[Any] = []
    count = 0
    for unit in units:
        sid, now = unit.source.pk, text_time(unit.now)
        for group in unit.pending:
            group_id = groups[(sid, group.key)].pk
            for alert in group.alerts:
                params += [
                    sid,
                    group_id,
                    alert.fingerprint,
                    alert.status,
                    _dumps(alert.labels),
                    _dumps(alert.annotations),
                    text_time(alert.starts_at),
                    text_time(alert.ends_at),
                    alert.generator_url,
                    now,
                    now,
                ]
                count += 1
                if count == SQLITE_ROWS:
                    _run_alert_rows(sql, count, params, found)
                    params, count = [], 0
    if count:
        _run_alert_rows(sql, count, params, found)
    return found


def _run_alert_rows(sql: _Sql, count: int, params: list[Any], found: dict[AlertKey, _Row]) -> None:
    for row in sql.run(_sqlite_alerts_statement(sql.alerts, count), params):
        found[(row[0], row[2])] = _Row(row[1], *row[2:])


@functools.lru_cache(maxsize=128)
def _sqlite_alerts_statement(table: str, count: int) -> str:
    row = "(%s, %s, %s, %s, '', %s, %s, %s, %s, %s, %s, %s, 1)"
    return _alerts_statement(False, table, f"VALUES {', '.join([row] * count)}")


def _alert_values(sql: _Sql, unit: _Unit, groups: dict[GroupKey, AlertGroup]) -> list[list[Any]]:
    """PostgreSQL: one JSON-ready row per alert."""
    text_time = sql.text_time
    sid, now = unit.source.pk, text_time(unit.now)
    values: list[list[Any]] = []
    for group in unit.pending:
        group_id = groups[(sid, group.key)].pk
        values += [
            [
                group_id,
                alert.fingerprint,
                alert.status,
                alert.labels,
                alert.annotations,
                text_time(alert.starts_at),
                text_time(alert.ends_at),
                alert.generator_url,
                now,
            ]
            for alert in group.alerts
        ]
    return values


@functools.lru_cache(maxsize=8)
def _alerts_statement(postgres: bool, table: str, source_rows: str) -> str:
    """The alert upsert, fed by `source_rows` (VALUES on SQLite, rows of a
    JSON parameter on PostgreSQL)."""
    returned_times = (
        "first_received_at, starts_at"
        if postgres
        else "CAST(first_received_at AS TEXT), CAST(starts_at AS TEXT)"
    )
    # Several requests' alerts, so several sources, go through SQLite's.
    returned_source = "" if postgres else "source_id, "
    # A notification older than what is stored is not applied (WHERE NOT
    # ...): a firing alert that started before the stored end of the same
    # alert (a late retry of an episode that is over), or a resolution that
    # ended before the stored start (a late "resolved" for an earlier
    # episode, after the alert fired again).
    return (
        f"INSERT INTO {table} (source_id, group_id, fingerprint, status, previous_status, labels,"
        " annotations, starts_at, ends_at, generator_url, first_received_at, last_received_at,"
        f" notification_count) {source_rows}"
        " ON CONFLICT (source_id, fingerprint) DO UPDATE SET"
        f" previous_status = {table}.status, status = excluded.status,"
        " labels = excluded.labels, annotations = excluded.annotations,"
        # A resolution ends the episode that started at the stored start.
        f" starts_at = CASE WHEN excluded.status = 'resolved' THEN {table}.starts_at"
        " ELSE excluded.starts_at END, ends_at = excluded.ends_at,"
        " generator_url = excluded.generator_url, last_received_at = excluded.last_received_at,"
        f" notification_count = {table}.notification_count + 1"
        f" WHERE NOT ("
        f"({table}.status = 'resolved' AND excluded.status = 'firing'"
        f" AND {table}.ends_at IS NOT NULL AND excluded.starts_at < {table}.ends_at)"
        f" OR ({table}.status = 'firing' AND excluded.status = 'resolved'"
        f" AND excluded.ends_at < {table}.starts_at))"
        f" RETURNING {returned_source}id, fingerprint, group_id, status, previous_status,"
        " notification_count,"
        # Only re-notified alerts need these; as expressions, SQLite returns
        # them as text instead of running a converter on every row.
        f" {returned_times}"
    )


def _classify(
    sql: _Sql,
    unit: _Unit,
    groups: dict[GroupKey, AlertGroup],
    rows: dict[AlertKey, _Row],
) -> list[GroupOutcome]:
    source, sid = unit.source, unit.source.pk
    mine = [groups[(sid, group.key)] for group in unit.pending]
    outcomes = {group.pk: GroupOutcome(group) for group in mine}
    order = [group.pk for group in mine]
    foreign: list[tuple[_Row, IncomingAlert]] = []
    build = _AlertBuilder(sql, source, unit.now)
    for pending_group in unit.pending:
        for incoming in pending_group.alerts:
            found = rows.get((sid, incoming.fingerprint))
            if found is None:
                continue  # stale: not applied
            if found.group_id not in outcomes:
                foreign.append((found, incoming))
                continue
            _file(outcomes[found.group_id], found, incoming, build)
    if foreign:
        # An alert stays in the group it first arrived in. When another
        # group's notification carries it (two Alertmanager routes sending
        # to one source), its own group is told, locked like the others.
        ids = sorted({found.group_id for found, _incoming in foreign})
        for group in AlertGroup.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            group.source = source
            outcomes[group.pk] = GroupOutcome(group)
            order.append(group.pk)
        for found, incoming in foreign:
            _file(outcomes[found.group_id], found, incoming, build)
    return [outcomes[pk] for pk in order]


class _AlertBuilder:
    """Alert instances for the receivers, built without Model.__init__: a
    storm request hands over thousands, and the ORM's constructor (field by
    field, with signals) cost more than storing them. The instances are what
    `from_db` would make: saved rows, with source and group attached."""

    def __init__(self, sql: _Sql, source: AlertSource, now: datetime) -> None:
        self.sql, self.source, self.source_id, self.now = sql, source, source.pk, now

    def __call__(self, found: _Row, incoming: IncomingAlert, group: AlertGroup) -> Alert:
        new = found.notification_count == 1
        read_time = self.sql.read_time
        state = ModelState()
        state.adding, state.db = False, self.sql.alias
        state.fields_cache = {"source": self.source, "group": group}
        alert = Alert.__new__(Alert)
        alert.__dict__ = {
            "_state": state,
            "id": found.pk,
            "source_id": self.source_id,
            "group_id": found.group_id,
            "fingerprint": found.fingerprint,
            "status": found.status,
            "previous_status": found.previous_status,
            "labels": incoming.labels,
            "annotations": incoming.annotations,
            "starts_at": incoming.starts_at if new else read_time(found.starts_at),
            "ends_at": incoming.ends_at,
            "generator_url": incoming.generator_url,
            "first_received_at": self.now if new else read_time(found.first_received_at),
            "last_received_at": self.now,
            "notification_count": found.notification_count,
        }
        return alert


def _file(
    outcome: GroupOutcome, found: _Row, incoming: IncomingAlert, build: _AlertBuilder
) -> None:
    new = found.notification_count == 1
    refired = found.previous_status == RESOLVED and found.status == FIRING
    resolved = found.status == RESOLVED and (new or found.previous_status == FIRING)
    if not (new or refired or resolved):
        return  # a repeat: nothing to tell beyond the group's notification
    alert = build(found, incoming, outcome.group)
    if new:
        outcome.new_alerts.append(alert)
    if refired:
        outcome.refired_alerts.append(alert)
    if resolved:
        outcome.resolved_alerts.append(alert)


def _may_change(outcome: GroupOutcome) -> bool:
    """Whether the group's status may have changed. A firing group that only
    gained firing alerts still fires (the common case in a storm), and a
    resolved group that only learnt of resolutions is still resolved: no
    statement needed."""
    if outcome.group.status == FIRING:
        return bool(outcome.resolved_alerts)
    return any(alert.status == FIRING for alert in (*outcome.new_alerts, *outcome.refired_alerts))


def _recompute_groups(sql: _Sql, outcomes: Iterable[GroupOutcome], now: datetime) -> None:
    """A group fires while any of its alerts fires. Only groups where an
    alert changed status (or that were just created) are recomputed; the
    (group, status) index makes each check one index probe."""
    changed = {outcome.group.pk: outcome for outcome in outcomes if _may_change(outcome)}
    if not changed:
        return
    groups, alerts = sql.groups, sql.alerts
    firing = (
        f"EXISTS (SELECT 1 FROM {alerts} a WHERE a.group_id = {groups}.id AND a.status = 'firing')"
    )
    new_episode = f"({groups}.status = 'resolved' AND {groups}.resolved_at < %s AND {firing})"
    statement = (
        f"UPDATE {groups} SET"
        f" incident_id = CASE WHEN {new_episode} THEN NULL ELSE incident_id END,"
        f" first_fired_at = CASE WHEN {new_episode} THEN COALESCE((SELECT MIN(a.starts_at)"
        f" FROM {alerts} a WHERE a.group_id = {groups}.id AND a.status = 'firing'), %s)"
        " ELSE first_fired_at END,"
        f" resolved_at = CASE WHEN {firing} THEN NULL ELSE COALESCE(resolved_at, %s) END,"
        f" status = CASE WHEN {firing} THEN 'firing' ELSE 'resolved' END"
        f" WHERE id IN ({', '.join(['%s'] * len(changed))})"
        " RETURNING id, status, first_fired_at, resolved_at, incident_id"
    )
    cutoff = sql.time(now - group_window())
    params = [cutoff, cutoff, sql.time(now), sql.time(now), *changed]
    for pk, status, first_fired_at, resolved_at, incident_id in sql.run(statement, params):
        group = changed[pk].group
        group.status = status
        group.first_fired_at = sql.read_time(first_fired_at) or group.first_fired_at
        group.resolved_at = sql.read_time(resolved_at)
        group.incident_id = incident_id


def _touch_source(source: AlertSource, now: datetime) -> None:
    if source.last_used_at is None or now - source.last_used_at > LAST_USED_RESOLUTION:
        AlertSource.objects.filter(pk=source.pk).update(last_used_at=now)
        source.last_used_at = now


# The writer of this process (committer.py): on SQLite it runs concurrent
# requests together.
_committer: Committer[_Unit, IngestResult] = Committer(_store_units)

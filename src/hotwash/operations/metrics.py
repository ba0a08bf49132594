"""What /metrics says, in Prometheus' text format (prometheus-client).

Two kinds of series, every name starting with `hotwash_`:

- Requests (counts and latency per route) are counted in the memory of the
  process that served them (`record_request`, from the middleware); under
  `hotwash serve --workers N` every process writes them to files that a
  scrape adds up (`hotwash.core.prometheus`).
- Business facts (alerts, incidents, the queue, deliveries, reminders,
  workers) are read from the database at scrape time by `DatabaseCollector`,
  so they are right whichever process is scraped and survive restarts.

Labels take their values from bounded sets only (URL patterns, not paths;
severities; alert sources and queues an admin configured), and incidents
are counted, never described: /metrics shows nothing of a private incident.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Case, Count, F, Min, Q, Sum, When
from django.http import HttpRequest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

import hotwash
from hotwash.alerts.models import Alert, AlertSource
from hotwash.core.prometheus import multiprocess_dir
from hotwash.core.request_id import route_of
from hotwash.incidents.models import OPEN_STATUSES, Incident, Severity
from hotwash.jobs.heartbeat import last_seen, workers_seen
from hotwash.notifications.models import DeliveryStatus, Kind, SentNotification, WebhookDelivery
from hotwash.operations.health import OK, readiness
from hotwash.trackers.models import SyncState, TrackerLink

logger = logging.getLogger("hotwash.operations")

# No `_created` series beside every counter: they double the output and
# Prometheus' text format has no use for them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# --- requests, counted in the serving process --------------------------------

# Not registered anywhere at import: `exposition` chooses, per scrape,
# between these (one process) and the files of every process.
REQUESTS = Counter(
    "hotwash_http_requests",
    "HTTP requests answered, by URL pattern, method and status code.",
    ["route", "method", "status"],
    registry=None,
)
LATENCY = Histogram(
    "hotwash_http_request_duration_seconds",
    "Time from the request reaching Hotwash to its response, by URL pattern and method "
    "(for a live-update stream, until the stream starts).",
    ["route", "method"],
    registry=None,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _metric_route(request: HttpRequest) -> str:
    """The URL pattern that answered, so the number of series stays bounded
    whatever paths clients ask for."""
    route = route_of(request)
    if route is not None:
        return route
    return "static" if request.path_info.startswith(settings.STATIC_URL) else "unmatched"


def record_request(request: HttpRequest, status: int, seconds: float) -> None:
    route = _metric_route(request)
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


# --- facts, read from the database at scrape time ----------------------------

CHANNELS = ("webhook", "email", "tracker")
READY, RUNNING = TaskResultStatus.READY, TaskResultStatus.RUNNING


class DatabaseCollector:
    """Reads every business fact when Prometheus scrapes. A database that
    cannot be read leaves the facts out and says so in `hotwash_ready`;
    the scrape itself still succeeds."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        info = GaugeMetricFamily(
            "hotwash_build_info", "Always 1; the running version.", labels=["version"]
        )
        info.add_metric([hotwash.__version__], 1)
        yield info
        checks = readiness().checks
        ready = GaugeMetricFamily(
            "hotwash_ready",
            "1 when the readiness check passes (as /readyz), by check.",
            labels=["check"],
        )
        for check, result in checks.items():
            ready.add_metric([check], 1 if result == OK else 0)
        yield ready
        if checks["database"] != OK:
            return
        try:
            # Built in full before any is yielded: a query failing half-way
            # leaves every fact out rather than some.
            facts = [
                *_incidents(),
                *_alerts(),
                *_queue(now),
                *_deliveries(),
                *_reminders(),
                *_workers(now),
            ]
        except DatabaseError:
            logger.exception("Metrics: could not read the database")
            return
        yield from facts


def _incidents() -> list[Metric]:
    family = GaugeMetricFamily(
        "hotwash_incidents_open",
        "Incidents not yet resolved, by severity (private ones included, as a count only).",
        labels=["severity"],
    )
    counts = dict(
        Incident.objects.filter(status__in=OPEN_STATUSES)
        .values_list("severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for severity in Severity:
        family.add_metric([str(severity.label)], counts.get(severity.value, 0))
    return [family]


def _alerts() -> list[Metric]:
    received = CounterMetricFamily(
        "hotwash_alerts_received",
        "Alert notifications stored from each alert source, repeats included.",
        labels=["source"],
    )
    deduplicated = CounterMetricFamily(
        "hotwash_alerts_deduplicated",
        "Alert notifications that repeated an alert already stored (same source and "
        "fingerprint), so updated it instead of adding one.",
        labels=["source"],
    )
    totals = {
        source_id: (notifications or 0, alerts)
        for source_id, notifications, alerts in Alert.objects.values_list("source")
        .annotate(notifications=Sum("notification_count"), alerts=Count("pk"))
        .values_list("source", "notifications", "alerts")
        .order_by()
    }
    for source_id, name in AlertSource.objects.values_list("pk", "name").order_by("name"):
        notifications, alerts = totals.get(source_id, (0, 0))
        received.add_metric([name], notifications)
        deduplicated.add_metric([name], notifications - alerts)
    return [received, deduplicated]


def _queue(now: datetime) -> list[Metric]:
    tasks = GaugeMetricFamily(
        "hotwash_queue_tasks",
        "Queued tasks by queue and state: ready (due, waiting for a worker), scheduled "
        "(waiting for a later time, such as a retry), running.",
        labels=["queue", "state"],
    )
    oldest = GaugeMetricFamily(
        "hotwash_queue_oldest_task_age_seconds",
        "How long the oldest ready task has been due (0 when none is waiting).",
        labels=["queue"],
    )
    never = get_date_max()  # django-tasks-db's "no run_after"
    due = Q(status=READY) & (Q(run_after=never) | Q(run_after__lte=now))
    rows = {
        row["queue_name"]: row
        for row in DBTaskResult.objects.filter(status__in=[READY, RUNNING])
        .values("queue_name")
        .annotate(
            ready=Count("pk", filter=due),
            scheduled=Count("pk", filter=Q(status=READY) & ~due),
            running=Count("pk", filter=Q(status=RUNNING)),
            due_since=Min(
                Case(When(run_after=never, then=F("enqueued_at")), default=F("run_after")),
                filter=due,
            ),
        )
        .order_by()
    }
    queues = sorted(set(settings.TASKS["default"].get("QUEUES", ["default"])) | set(rows))
    for queue in queues:
        row = rows.get(queue, {})
        for state in ("ready", "scheduled", "running"):
            tasks.add_metric([queue, state], row.get(state, 0))
        due_since = row.get("due_since")
        oldest.add_metric([queue], max(0.0, (now - due_since).total_seconds()) if due_since else 0)
    return [tasks, oldest]


def _deliveries() -> list[Metric]:
    failed = GaugeMetricFamily(
        "hotwash_deliveries_failed",
        "Deliveries given up after every attempt, by channel: webhook deliveries, "
        "emails (reminders, digests) and tracker pushes. An admin's retry lowers it.",
        labels=["channel"],
    )
    retrying = GaugeMetricFamily(
        "hotwash_deliveries_retrying",
        "Deliveries that failed at least once and wait for another attempt, by channel.",
        labels=["channel"],
    )
    webhook = WebhookDelivery.objects.aggregate(
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
        retrying=Count("pk", filter=Q(status=DeliveryStatus.RETRYING)),
    )
    email = SentNotification.objects.aggregate(
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
        retrying=Count("pk", filter=Q(status=DeliveryStatus.RETRYING)),
    )
    tracker = TrackerLink.objects.aggregate(
        failed=Count("pk", filter=Q(sync_state=SyncState.FAILED)),
        retrying=Count("pk", filter=Q(sync_state=SyncState.PENDING, attempts__gt=0)),
    )
    for channel, counts in zip(CHANNELS, (webhook, email, tracker), strict=True):
        failed.add_metric([channel], counts["failed"])
        retrying.add_metric([channel], counts["retrying"])
    return [failed, retrying]


def _reminders() -> list[Metric]:
    family = CounterMetricFamily(
        "hotwash_reminders_sent",
        "Reminder emails sent, by kind (due soon, overdue, and the weekly digest).",
        labels=["kind"],
    )
    counts = dict(
        SentNotification.objects.filter(status=DeliveryStatus.SENT)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for kind in Kind:
        family.add_metric([kind.value], counts.get(kind.value, 0))
    return [family]


def _workers(now: datetime) -> list[Metric]:
    seen = GaugeMetricFamily(
        "hotwash_workers_seen",
        "Workers (hotwash worker, or the one hotwash serve runs) that beat in the last minute.",
        value=workers_seen(now),
    )
    families: list[Metric] = [seen]
    latest = last_seen()
    if latest is not None:
        families.append(
            GaugeMetricFamily(
                "hotwash_worker_last_seen_timestamp_seconds",
                "When a worker last beat (Unix time).",
                value=latest.timestamp(),
            )
        )
    return families


# --- the scrape --------------------------------------------------------------


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The whole /metrics answer (body, content type) in the format the
    scraper asked for (Prometheus text, or OpenMetrics)."""
    registry = CollectorRegistry()
    directory = multiprocess_dir()
    if directory is not None:
        MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(DatabaseCollector())
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type

"""Readiness: can this process serve requests that need the database, and
is background work being done?

Three checks, each "ok" or a short reason. The reasons name what failed,
never a password, a host or an incident: /readyz answers anyone. The full
error goes to the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from hotwash.jobs.heartbeat import SEEN_WITHIN, last_seen, workers_seen

logger = logging.getLogger("hotwash.operations")

OK = "ok"
CHECKS = ("database", "migrations", "worker")
# When the database cannot be reached, the checks that read it cannot say.
NOT_CHECKED = "not checked: database unreachable"


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(result == OK for result in self.checks.values())

    def as_json(self) -> dict[str, object]:
        return {"status": OK if self.ready else "fail", "checks": self.checks}


def readiness() -> Readiness:
    database = check_database()
    if database != OK:
        return Readiness({"database": database, "migrations": NOT_CHECKED, "worker": NOT_CHECKED})
    return Readiness({"database": OK, "migrations": check_migrations(), "worker": check_worker()})


def check_database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        # Any error, not only DatabaseError: a pool that times out raises its
        # own, and readiness must answer whatever the database does.
        logger.warning("Readiness: the database is unreachable: %s", error)
        return f"unreachable ({type(error).__name__})"
    return OK


def check_migrations() -> str:
    """Every migration this code ships is applied (what `hotwash migrate`
    would do is nothing)."""
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        logger.warning("Readiness: could not read the applied migrations: %s", error)
        return f"unknown ({type(error).__name__})"
    if not plan:
        return OK
    names = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    return f"{len(names)} unapplied: {shown}"


def check_worker() -> str:
    """A worker (`hotwash worker`, or the one `hotwash serve` runs) beat
    within the last minute."""
    now = timezone.now()
    try:
        if workers_seen(now):
            return OK
        seen = last_seen()
    except DatabaseError as error:  # say, the heartbeats' migration is not applied
        logger.warning("Readiness: could not read the workers' heartbeats: %s", error)
        return f"unknown ({type(error).__name__})"
    if seen is None:
        return "no worker seen"
    seconds = int((now - seen).total_seconds())
    return f"no worker seen for {seconds} s (limit {int(SEEN_WITHIN.total_seconds())} s)"

"""`hotwash worker` as deployed: real processes on one database."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support.notifications import running_workers, wait_until
from tests.support.servers import HOTWASH, server_database

pytestmark = pytest.mark.server

SLOT_LINE = re.compile(r"Running (?P<job>\S+) for slot (?P<slot>\S+) \(worker (?P<worker>\w+)\)")


def slots(log: str) -> list[tuple[str, str]]:
    return [(m["job"], m["slot"]) for m in SLOT_LINE.finditer(log)]


def test_two_workers_run_each_periodic_slot_exactly_once(tmp_path: Path) -> None:
    env = {"HOTWASH_NOTIFICATION_SCAN_SECONDS": "1", "HOTWASH_WORKER_INTERVAL": "0.05"}
    with (
        server_database(tmp_path) as database,
        running_workers(database, 2, env=env) as workers,
    ):

        def claimed() -> list[tuple[str, str]]:
            return slots(workers[0].log) + slots(workers[1].log)

        assert wait_until(
            lambda: sum(job == "notifications.reminders" for job, _ in claimed()) >= 8,
            timeout=90,
        ), workers[0].log + workers[1].log
        # Both stop signals are graceful: the job or task in hand finishes.
        workers[0].process.send_signal(signal.SIGTERM)
        workers[1].process.send_signal(signal.SIGINT)
        for worker in workers:
            assert worker.process.wait(timeout=30) == 0, worker.log
            assert "shutting down gracefully" in worker.log
        runs = claimed()
        assert len(runs) == len(set(runs)), f"a slot ran twice: {sorted(runs)}"
        assert {"notifications.reminders", "notifications.digests"} <= {job for job, _ in runs}


def test_once_runs_due_jobs_drains_the_queue_and_exits(tmp_path: Path) -> None:
    with server_database(tmp_path) as database:
        database.run(
            "shell",
            "-c",
            "from hotwash.jobs.queue import enqueue_many;"
            "from tests.jobs.test_periodic import remember;"
            "enqueue_many(remember, [((str(n),), {}) for n in range(5)])",
        )
        output = database.run("worker", "--once")
        assert "Running notifications.reminders for slot" in output
        assert output.count("Running task tests.jobs.test_periodic.remember") == 5
        counts = database.run(
            "shell",
            "-v0",
            "-c",
            "from django_tasks_db.models import DBTaskResult as T;"
            "from hotwash.jobs.models import PeriodicJobState as P;"
            "print(T.objects.filter(status='SUCCESSFUL').count(), "
            "T.objects.filter(status='READY').count(), "
            "sorted(P.objects.filter(name__startswith='notifications.')"
            ".values_list('name', 'last_status', 'run_count')))",
        )
        assert counts.strip() == (
            "5 0 [('notifications.digests', 'ok', 1), ('notifications.reminders', 'ok', 1)]"
        )
        # The slots were taken: a second run right after finds nothing due.
        again = database.run("worker", "--once")
        assert "Running notifications" not in again


def test_it_lists_its_jobs_and_refuses_bad_options(tmp_path: Path) -> None:
    # Neither needs the database.
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}
    env.pop("HOTWASH_TEST_DATABASE_NAME", None)
    listed = subprocess.run(
        [*HOTWASH, "worker", "--list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "notifications.reminders\tevery 0:05:00" in listed.stdout
    bad = subprocess.run(
        [*HOTWASH, "worker", "--interval", "soon"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0
    assert "not a number of seconds" in bad.stderr


def test_it_stops_gracefully_when_its_standard_input_closes(tmp_path: Path) -> None:
    """How `hotwash serve` stops the worker it runs beside itself."""
    with (
        server_database(tmp_path) as database,
        subprocess.Popen(
            [*HOTWASH, "worker", "--stop-when-stdin-closes", "--worker-id", "embedded"],
            env=database.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        ) as worker,
    ):
        assert worker.stdout is not None and worker.stdin is not None
        try:
            started = worker.stdout.readline()
            assert "Worker embedded started" in started
            worker.stdin.close()
            worker.wait(timeout=60)
            output = started + worker.stdout.read()
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
    assert worker.returncode == 0, output
    assert "standard input closed, stopping" in output
    assert "Worker embedded stopped" in output

"""The background worker `hotwash serve` runs beside itself: once however
many web processes it forks, stopped with the server after the task in
hand, never left behind, started again when it dies."""

from __future__ import annotations

import contextlib
import os
import re
import signal
from pathlib import Path

import pytest

from tests.support.notifications import wait_until
from tests.support.servers import RunningServer, ServerDatabase, running_server, server_database

# Processes and signals: the queue the worker reads is tests/jobs' business
# on each database.
pytestmark = [pytest.mark.server, pytest.mark.database_independent]

STARTED = re.compile(r"Background worker started \(process (\d+)\)")


def children(pid: int) -> dict[int, str]:
    """The child processes of `pid` and their command lines (Linux /proc)."""
    found: dict[int, str] = {}
    for thread in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for child in (thread / "children").read_text().split():
                command = Path(f"/proc/{child}/cmdline").read_bytes()
                found[int(child)] = command.replace(b"\0", b" ").decode()
    return found


def background_workers(server: RunningServer) -> list[int]:
    return [
        pid
        for pid, command in children(server.process.pid).items()
        if " hotwash worker " in f" {command} " or "-m hotwash worker" in command
    ]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its exit status is left to collect.
    with contextlib.suppress(FileNotFoundError):
        return " Z " not in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:3]
    return False


def started_worker(server: RunningServer) -> int:
    assert wait_until(lambda: STARTED.search(server.log) is not None, timeout=30), server.log
    match = STARTED.search(server.log)
    assert match
    return int(match[1])


def task_status(database: ServerDatabase) -> str:
    rows = database.query("SELECT status FROM django_tasks_database_dbtaskresult")
    return str(rows[0][0]) if rows else ""


def enqueue_a_nap(database: ServerDatabase, seconds: float) -> None:
    database.run("shell", "-c", f"from tests.support.tasks import nap; nap.enqueue({seconds})")


@pytest.mark.parametrize(
    ("how", "sig"),
    [("the server alone", signal.SIGTERM), ("the whole process group", signal.SIGINT)],
)
def test_stopping_the_server_finishes_the_task_in_hand_and_leaves_no_process(
    tmp_path: Path, how: str, sig: int
) -> None:
    """SIGTERM to the server only (docker stop, systemd's main process) or
    Ctrl-C in a terminal (every process of the group): the worker finishes
    the task it is running, then everything exits."""
    with server_database(tmp_path) as database:
        enqueue_a_nap(database, 3)
        with running_server(
            database, "--no-collectstatic", "--workers", "2", worker=True
        ) as server:
            worker = started_worker(server)
            assert background_workers(server) == [worker]  # once, not once per web process
            assert wait_until(lambda: task_status(database) == "RUNNING", timeout=60), server.log
            if how == "the server alone":
                server.process.send_signal(sig)
            else:
                os.killpg(server.process.pid, sig)
            assert server.process.wait(timeout=60) == 0, server.log
        assert task_status(database) == "SUCCESSFUL", server.log
        assert not alive(worker)


def test_a_worker_that_dies_is_started_again(tmp_path: Path) -> None:
    with (
        server_database(tmp_path) as database,
        running_server(database, "--no-collectstatic", worker=True) as server,
    ):
        first = started_worker(server)
        os.kill(first, signal.SIGKILL)
        assert wait_until(
            lambda: bool(background_workers(server)) and background_workers(server) != [first],
            timeout=30,
        ), server.log
        assert "exited with status -9; starting it again" in server.log
        (second,) = background_workers(server)
    assert not alive(second)


def test_a_server_killed_outright_takes_its_worker_with_it(tmp_path: Path) -> None:
    """SIGKILL to the server alone: no handler runs, yet the worker stops
    (its standard input closes with the server) rather than running on."""
    with (
        server_database(tmp_path) as database,
        running_server(database, "--no-collectstatic", worker=True) as server,
    ):
        worker = started_worker(server)
        server.process.kill()
        server.process.wait(timeout=10)
        try:
            assert wait_until(lambda: not alive(worker), timeout=30), server.log
        finally:
            # granian's web processes, orphaned by SIGKILL, are granian's to
            # handle (they stop on SIGTERM); the test ends the ones it left.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGTERM)

"""The background worker `hotwash serve` runs beside the web server.

On the embedded default (SQLite, one machine) one command should run
everything, so `hotwash serve` starts `hotwash worker` as a child process:
the same loop, the same graceful stop, its own database connection. A child
process, not a thread: granian forks its web workers from the serving
process, and a fork taken while a worker thread holds a database connection
or a lock would hand the web worker a copy of both.

The child is started once, in granian's main process, after the socket is
bound and before the web workers are forked (granian's startup hook), and
stopped after the web workers have stopped (its shutdown hook). The stop
goes through the child's standard input, a pipe whose other end only this
process holds: closing it asks the worker to finish the task or periodic job
in hand and exit (`hotwash worker --stop-when-stdin-closes`). A task cut off
half-way would stay claimed and never run again, so the stop waits for the
worker as long as it takes. Should the server die without stopping it (say,
killed outright), the kernel closes the pipe and the worker stops all the
same: it never outlives its server. Should the worker die on its own (the
database gone, say), it is started again after a growing pause.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

logger = logging.getLogger("hotwash.serve")

# Seconds before starting a worker that died again: the database may need
# a while to come back, and a loop of instant restarts helps nobody.
RESTART_DELAYS = (1.0, 5.0, 30.0)
# A worker that ran this long before dying was healthy: the pause starts
# again from the shortest.
HEALTHY_SECONDS = 60.0
# After this long, say that the server waits for the task in hand.
STOP_NOTICE_SECONDS = 5.0


def worker_command(worker_id: str, verbosity: int) -> list[str]:
    """`hotwash worker` as the embedded child runs it."""
    return [
        sys.executable,
        "-m",
        "hotwash",
        "worker",
        "--stop-when-stdin-closes",
        "--worker-id",
        worker_id,
        "--verbosity",
        str(verbosity),
    ]


class EmbeddedWorker:
    """Start, watch and stop one `hotwash worker` child process."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        # granian forks its web workers (and their replacements) from this
        # process, and a fork copies every open file: a web worker holding
        # the pipe would keep the worker alive after this process died.
        os.register_at_fork(after_in_child=self._drop_pipe)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the child and a thread that starts it again if it dies."""
        with self._lock:
            self._spawn()
        threading.Thread(target=self._watch, name="embedded-worker-watch", daemon=True).start()

    def stop(self) -> None:
        """Ask the child to finish what it is doing, and wait until it has."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=STOP_NOTICE_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning(
                "Waiting for the background worker (process %d) to finish its task.", process.pid
            )
            process.wait()

    def _spawn(self) -> None:
        # Popen's pipe is not inherited by programs executed from here.
        self._process = subprocess.Popen(self.command, stdin=subprocess.PIPE)

    def _drop_pipe(self) -> None:
        """In a forked child: close its copy of the pipe (only its copy)."""
        if self._process is not None and self._process.stdin is not None:
            self._process.stdin.close()

    def _watch(self) -> None:
        failures = 0
        while True:
            with self._lock:
                process = self._process
            assert process is not None
            started = time.monotonic()
            status = process.wait()
            if self._stopping.is_set():
                return
            failures = 1 if time.monotonic() - started >= HEALTHY_SECONDS else failures + 1
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS)) - 1]
            logger.error(
                "The background worker (process %d) exited with status %d; starting it again "
                "in %.0f s.",
                process.pid,
                status,
                delay,
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn()

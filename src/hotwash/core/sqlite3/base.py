"""Django's SQLite backend, with one change: writers queue for SQLite's
write lock on locks that wake the next waiter at once, instead of SQLite's
busy handler.

Every transaction here begins IMMEDIATE (settings.py), so it takes SQLite's
one write lock at BEGIN. When the lock is taken, SQLite's busy handler
polls: it sleeps 1, 2, 5 ... 50, then 100 ms at a time before trying again,
and nothing wakes a waiter when the lock frees. A writer that keeps losing
sleeps in 100 ms steps while others come and go. Measured with
bench/chat.py (Slack's event callbacks, one small write each, from 20
concurrent requests): p99 640 ms against 122 ms on PostgreSQL when the
server's threads polled one another; once the threads queued on a Python
lock, 43-49 ms with the server alone but 523-1572 ms while the embedded
worker declared incidents beside it, its short transactions back to back
winning nearly every round against the server's polling.

So a writer first takes its process's threading.Lock (the threads of one
process queue in arrival order), then an flock on a file beside the
database (`<database>-writer`), which every process using this backend
takes before BEGIN: `hotwash serve`'s threads, its embedded worker,
`hotwash worker` and commands. A waiter polls the flock every few
milliseconds rather than SQLite's 100, so the lock changes hands between
processes within milliseconds of being freed. What is serialised is what
SQLite serialises anyway; programs that do not use this backend (the
sqlite3 shell, a backup tool) still meet SQLite's busy handler, which stays
the arbiter for them.

In-memory databases (the test suite's) are left as they are: they live in
one process, and Django shares one connection between a test and its live
server thread.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

# The file beside the database whose flock the processes queue on.
WRITER_LOCK_SUFFIX = "-writer"
# Longest pause between two tries at another process's flock: short, so the
# lock changes hands quickly; a few hundred tries a second cost little, and
# only one thread per process waits on it (the others on the thread lock).
_LONGEST_PAUSE = 0.002


class WriterLock:
    """One database's lock for writers: a threading.Lock for this
    process's threads, then an flock for the processes."""

    def __init__(self, database: str) -> None:
        self.path = database + WRITER_LOCK_SUFFIX
        self._threads = threading.Lock()
        self._fd: int | None = None

    def acquire(self, timeout: float) -> bool:
        """Both locks within `timeout` seconds, or neither (False)."""
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=max(timeout, 0.0)):
            return False
        try:
            if self._acquire_file(deadline):
                return True
        except BaseException:
            self._threads.release()
            raise
        self._threads.release()
        return False

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _acquire_file(self, deadline: float) -> bool:
        if self._fd is None:
            # Created beside the database, as SQLite creates its -wal and
            # -shm; kept open for the process's life (reopening per
            # transaction would cost a system call for nothing).
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        pause = 0.0002
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)


_locks_guard = threading.Lock()
_writer_locks: dict[str, WriterLock] = {}


def writer_lock(database: str) -> WriterLock:
    """The process's one lock for writing to `database` (a file path)."""
    with _locks_guard:
        lock = _writer_locks.get(database)
        if lock is None:
            lock = _writer_locks[database] = WriterLock(database)
        return lock


def _forget_locks_after_fork() -> None:
    # A forked child (granian's web workers) must not share the parent's
    # flock (one open file, one lock: the two would not exclude each other)
    # nor inherit a threading.Lock some parent thread held at the fork.
    global _locks_guard
    _locks_guard = threading.Lock()
    _writer_locks.clear()


os.register_at_fork(after_in_child=_forget_locks_after_fork)


class DatabaseWrapper(base.DatabaseWrapper):
    # The hooks below are Django's own (BaseDatabaseWrapper), which
    # django-stubs do not declare: hence the ignores on the super() calls.
    _writing: WriterLock | None = None

    def _start_transaction_under_autocommit(self) -> None:
        if self.is_in_memory_db():
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        lock = writer_lock(str(self.settings_dict["NAME"]))
        # As long as SQLite itself would wait (the connection's timeout).
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        if not lock.acquire(timeout):
            raise OperationalError("database is locked")
        self._writing = lock
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _release_writer(self) -> None:
        lock, self._writing = self._writing, None
        if lock is not None:
            lock.release()

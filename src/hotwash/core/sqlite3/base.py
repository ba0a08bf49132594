"""Django's SQLite backend, with one change: within a process, transactions
queue for SQLite's write lock on a Python lock instead of SQLite's busy
handler.

Every transaction here begins IMMEDIATE (settings.py), so it takes SQLite's
one write lock at BEGIN. When the lock is taken, SQLite's busy handler
polls: it sleeps 1, 2, 5 ... 50, then 100 ms at a time before trying again,
and nothing wakes a waiter when the lock frees. Under twenty concurrent
requests in `hotwash serve`'s threads, a writer that kept losing slept in
100 ms steps: Slack's event callbacks, one small write each, had a p99 of
640 ms (bench/chat.py) against 122 ms on PostgreSQL. A threading.Lock
hands the lock over as soon as it is released, in arrival order, so the
threads of one process never poll; other processes (the worker, `hotwash`
commands) still meet SQLite's busy handler, which stays the arbiter
between processes. What is serialised is what SQLite serialises anyway.

In-memory databases (the test suite's) are left as they are: they live in
one process, and Django shares one connection between a test and its live
server thread.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

_locks_guard = threading.Lock()
_writer_locks: dict[str, threading.Lock] = {}


def writer_lock(database: str) -> threading.Lock:
    """The process's one lock for writing to `database` (a file path)."""
    with _locks_guard:
        return _writer_locks.setdefault(database, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    # The hooks below are Django's own (BaseDatabaseWrapper), which
    # django-stubs do not declare: hence the ignores on the super() calls.
    _writing: threading.Lock | None = None

    def _start_transaction_under_autocommit(self) -> None:
        if self.is_in_memory_db():
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        lock = writer_lock(str(self.settings_dict["NAME"]))
        # As long as SQLite itself would wait (the connection's timeout).
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        if not lock.acquire(timeout=timeout):
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

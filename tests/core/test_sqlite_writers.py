"""hotwash.core.sqlite3: the threads of a process queue for SQLite's write
lock on a Python lock, and every way a transaction ends gives it back."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from hotwash.core.sqlite3.base import DatabaseWrapper, writer_lock

# Builds its own SQLite files: nothing here depends on the suite's database.
pytestmark = pytest.mark.database_independent


def _connect(path: Path) -> DatabaseWrapper:
    settings_dict: dict[str, Any] = {
        **settings.DATABASES["default"],
        "ENGINE": "hotwash.core.sqlite3",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TIME_ZONE": None,
    }
    return DatabaseWrapper(settings_dict, alias=f"writers-{threading.get_ident()}")


def _begin(connection: DatabaseWrapper) -> None:
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _end(connection: DatabaseWrapper, *, commit: bool) -> None:
    if commit:
        connection.commit()
    else:
        connection.rollback()
    connection.set_autocommit(True)


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker: Any) -> Any:
    """These tests open their own SQLite files, not the suite's database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "writers.sqlite3"
    connection = _connect(path)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, writer INTEGER, n INTEGER)")
    connection.close()
    return path


def _free(path: Path) -> bool:
    lock = writer_lock(str(path))
    if lock.acquire(blocking=False):
        lock.release()
        return True
    return False


def test_concurrent_writers_in_one_process_all_commit(database: Path) -> None:
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        connection = _connect(database)
        try:
            for n in range(25):
                _begin(connection)
                with connection.cursor() as cursor:
                    cursor.execute("INSERT INTO note (writer, n) VALUES (%s, %s)", [writer, n])
                _end(connection, commit=True)
        except BaseException as error:  # the assertion below names it
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    reader = _connect(database)
    with reader.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM note")
        assert cursor.fetchone()[0] == 12 * 25
    reader.close()
    assert _free(database)


def test_the_lock_is_held_for_the_transaction_and_given_back_on_commit(database: Path) -> None:
    connection = _connect(database)
    _begin(connection)
    assert not _free(database)
    _end(connection, commit=True)
    assert _free(database)
    connection.close()


def test_a_rolled_back_transaction_gives_the_lock_back(database: Path) -> None:
    connection = _connect(database)
    _begin(connection)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO note (writer, n) VALUES (1, 1)")
    _end(connection, commit=False)
    assert _free(database)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM note")
        assert cursor.fetchone()[0] == 0
    connection.close()


def test_a_connection_closed_in_a_transaction_gives_the_lock_back(database: Path) -> None:
    connection = _connect(database)
    _begin(connection)
    connection.close()
    assert _free(database)


def test_a_writer_that_waits_too_long_is_told_the_database_is_locked(database: Path) -> None:
    holder = _connect(database)
    _begin(holder)
    waiter = _connect(database)
    waiter.settings_dict["OPTIONS"]["timeout"] = 0.2
    with pytest.raises(Exception, match="database is locked"):
        _begin(waiter)
    _end(holder, commit=True)
    holder.close()
    _begin(waiter)  # free again: it gets it
    _end(waiter, commit=True)
    waiter.close()
    assert _free(database)


def test_in_memory_databases_take_no_process_lock() -> None:
    connection = _connect(Path(":memory:"))
    _begin(connection)
    assert _free(Path(":memory:"))
    _end(connection, commit=True)
    connection.close()

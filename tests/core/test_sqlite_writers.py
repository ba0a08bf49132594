"""hotwash.core.sqlite3: the threads of a process queue for SQLite's write
lock on a Python lock, the processes on an flock beside the database, and
every way a transaction ends gives both back."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from hotwash.core.sqlite3.base import WRITER_LOCK_SUFFIX, DatabaseWrapper, writer_lock

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
    if lock.acquire(timeout=0):
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


def test_in_memory_databases_take_no_process_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where a lock file would appear
    connection = _connect(Path(":memory:"))
    try:
        _begin(connection)
        assert connection._writing is None
        _end(connection, commit=True)
    finally:
        connection.close()
    assert list(tmp_path.iterdir()) == []  # no "-writer" file beside a database in memory


def test_the_suite_runs_on_an_in_memory_database_on_sqlite() -> None:
    """pytest-django names test databases by Django's engine name; ours
    says in settings that SQLite tests run in memory (no file per process)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "hotwash.core.sqlite3":
        pytest.skip("the PostgreSQL suite")
    assert database["TEST"]["NAME"] == ":memory:"
    name = str(connection.settings_dict["NAME"])
    assert name == ":memory:" or "mode=memory" in name


# --- across processes ---------------------------------------------------------------

# A process that writes as `hotwash worker` does: it begins a transaction,
# says so, waits for a line on its standard input, then inserts and commits.
_OTHER_PROCESS = """
import sys
import django
from django.conf import settings

settings.configure(
    DATABASES={"default": {
        "ENGINE": "hotwash.core.sqlite3",
        "NAME": sys.argv[1],
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
    }},
    USE_TZ=True,
)
django.setup()
from django.db import connection, transaction

with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO note (writer, n) VALUES (2, 1)")
    print("holding", flush=True)
    sys.stdin.readline()
print("committed", flush=True)
"""


@pytest.fixture
def other_writer(database: Path) -> Any:
    """Another process, holding a write transaction on `database` until
    told to commit (a line on its standard input)."""
    with subprocess.Popen(
        [sys.executable, "-c", _OTHER_PROCESS, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        try:
            assert process.stdout.readline().strip() == "holding"
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


def _finish(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("commit\n")
    process.stdin.flush()
    assert process.stdout.readline().strip() == "committed"
    assert process.wait(timeout=30) == 0


def test_another_process_writing_holds_the_lock_beside_the_database(
    database: Path, other_writer: subprocess.Popen[str]
) -> None:
    assert Path(str(database) + WRITER_LOCK_SUFFIX).exists()
    assert not _free(database)
    _finish(other_writer)
    assert _free(database)


def test_a_writer_waits_for_another_process_then_commits(
    database: Path, other_writer: subprocess.Popen[str]
) -> None:
    wrote = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        connection = _connect(database)
        try:
            _begin(connection)
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO note (writer, n) VALUES (1, 1)")
            _end(connection, commit=True)
            wrote.set()
        except BaseException as error:  # the assertion below names it
            failures.append(error)
        finally:
            connection.close()

    waiting = threading.Thread(target=write)
    waiting.start()
    assert not wrote.wait(0.3)  # still queued behind the other process
    _finish(other_writer)
    waiting.join(timeout=30)
    assert failures == [] and wrote.is_set()
    reader = _connect(database)
    with reader.cursor() as cursor:
        cursor.execute("SELECT writer FROM note ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == [2, 1]  # in the order they came
    reader.close()


def test_a_writer_kept_waiting_by_another_process_is_told_the_database_is_locked(
    database: Path, other_writer: subprocess.Popen[str]
) -> None:
    waiter = _connect(database)
    waiter.settings_dict["OPTIONS"]["timeout"] = 0.2
    with pytest.raises(Exception, match="database is locked"):
        _begin(waiter)
    assert _free(database) is False  # the thread lock went back; the other still writes
    _finish(other_writer)
    _begin(waiter)
    _end(waiter, commit=True)
    waiter.close()


def test_a_forked_child_takes_the_lock_for_itself(database: Path) -> None:
    """granian forks its web workers from the serving process: a child
    shares no lock with its parent."""
    parent = writer_lock(str(database))
    assert parent.acquire(timeout=1)
    try:
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: the parent holds the lock, so it must wait
            os.close(reader)
            got = writer_lock(str(database)).acquire(timeout=0.2)
            os.write(writer, b"got" if got else b"waited")
            os._exit(0)
        os.close(writer)
        answer = os.read(reader, 10)
        os.close(reader)
        os.waitpid(pid, 0)
    finally:
        parent.release()
    assert answer == b"waited"

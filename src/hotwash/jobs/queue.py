"""Enqueueing many tasks at once.

`Task.enqueue` writes one row per call. A scan that decides to send a
thousand reminders would then make a thousand INSERTs; `enqueue_many`
writes the same rows as django-tasks-db's backend does, with one bulk
INSERT (a few on SQLite, which limits the parameters of one statement).
Call it inside the transaction that made the decision: the tasks then
exist if and only if the decision was committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max

Call = tuple[Sequence[Any], Mapping[str, Any]]


def enqueue_many(task: Any, calls: Iterable[Call]) -> int:
    """Enqueue `task` once per (args, kwargs) in `calls`; return how many."""
    calls = list(calls)
    if not calls:
        return 0
    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        # Another backend (a test's immediate backend, say): its own way.
        for args, kwargs in calls:
            task.enqueue(*args, **kwargs)
        return len(calls)
    backend.validate_task(task)
    run_after = task.run_after or get_date_max()
    rows: list[DBTaskResult[Any, Any]] = [
        DBTaskResult(
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": list(args), "kwargs": dict(kwargs)}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=run_after,
            backend_name=backend.alias,
        )
        for args, kwargs in calls
    ]
    DBTaskResult.objects.bulk_create(rows)
    return len(rows)

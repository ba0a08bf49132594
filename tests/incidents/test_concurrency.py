"""Ten people taking command of one incident at the same instant: each
answer is a success or a clear conflict, never a server error, and exactly
one of them holds the role afterwards, with a history that reads as a chain
of hand-overs.

Real threads through the API, each with its own database connection, on
PostgreSQL. SQLite cannot run this in process: the suite's in-memory SQLite
database is one shared-cache connection per thread, which refuses a second
writer at once ("database table is locked") instead of queueing it, so
there would be no race to lose, only a different error."""

from __future__ import annotations

import threading
from itertools import pairwise
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_api_token, create_user
from hotwash.incidents import services
from hotwash.incidents.models import Incident, RoleAssignment, TimelineEvent, TimelineKind

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="races need concurrent writers (PostgreSQL)"
    ),
]

THREADS = 10


def race(work: Any, count: int) -> tuple[list[Any], list[BaseException]]:
    """Run `work(n)` in `count` threads released at the same instant."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[n] = work(n)
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def test_simultaneous_commanders_get_2xx_or_409_and_one_holds_the_role(db: None) -> None:
    people = [
        create_user(f"responder{n}", password="correct horse 42", role=Role.RESPONDER)
        for n in range(THREADS)
    ]
    tokens = [create_api_token(person) for person in people]
    incident = services.declare_incident(actor=people[0], title="Checkout fails")
    url = f"/api/v1/incidents/{incident.ref}/roles/commander"

    def take_command(n: int) -> int:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[n]}", raise_request_exception=False)
        response = client.put(url, {"user": f"responder{n}"}, content_type="application/json")
        return int(response.status_code)

    statuses, errors = race(take_command, THREADS)

    assert errors == []
    assert all(200 <= status < 300 or status == 409 for status in statuses), statuses
    succeeded = sum(1 for status in statuses if 200 <= status < 300)
    current = RoleAssignment.objects.filter(
        incident=incident, role="commander", ended_at__isnull=True
    )
    assert current.count() == 1
    history = list(
        RoleAssignment.objects.filter(incident=incident, role="commander").order_by(
            "started_at", "id"
        )
    )
    assert len(history) == succeeded
    for earlier, later in pairwise(history):
        # Each turn ends exactly when the next begins: no overlap, no gap.
        assert earlier.ended_at == later.started_at
        assert earlier.started_at <= earlier.ended_at
    assert history[-1].ended_at is None
    assert history[-1].pk == current.get().pk
    # One timeline entry per hand-over, naming who handed over to whom.
    entries = list(
        TimelineEvent.objects.filter(incident=incident, kind=TimelineKind.ROLE).order_by(
            "occurred_at", "id"
        )
    )
    assert len(entries) == succeeded
    holders = [None, *(assignment.user.get_username() for assignment in history)]
    assert [(e.data["from"], e.data["to"]) for e in entries] == list(pairwise(holders))
    assert Incident.objects.get(pk=incident.pk).version == 1 + succeeded

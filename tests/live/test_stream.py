"""Live updates through real `hotwash serve` processes: a client holding an
event stream hears about changes made through the API, and on PostgreSQL
about changes made by any other process on the same database."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from django.db import connection

from tests.support.servers import RunningServer, ServerDatabase, running_server, server_database

pytestmark = pytest.mark.server

WAIT = 10.0  # seconds to wait for an event that should come; never asserted


class EventReader:
    """Reads server-sent events from an open httpx streaming response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.iter_lines()

    def next_event(self, timeout: float = WAIT) -> dict[str, str]:
        """The next event (comments skipped). Fails after `timeout` seconds:
        the server sends a heartbeat every second here, so lines keep coming
        and the deadline is checked even while nothing else happens."""
        deadline = time.monotonic() + timeout
        fields: dict[str, str] = {}
        for line in self.lines:
            if line and not line.startswith(":"):
                name, _colon, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            elif not line and fields:
                return fields
            if time.monotonic() > deadline:
                break
        raise AssertionError(f"no event within {timeout} s (so far: {fields})")

    def next_change(self, timeout: float = WAIT) -> dict[str, object]:
        event = self.next_event(timeout)
        data: dict[str, object] = json.loads(event["data"])
        assert data["kind"] == event["event"]
        return data


# One database and server for the module: starting them is most of the cost.
@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerDatabase]:
    with server_database(tmp_path_factory.mktemp("live")) as database:
        database.env["HOTWASH_LIVE_HEARTBEAT_SECONDS"] = "1"
        yield database


@pytest.fixture(scope="module")
def server(database: ServerDatabase) -> Iterator[RunningServer]:
    with running_server(database, "--no-collectstatic") as server:
        yield server


@pytest.fixture(scope="module")
def token(database: ServerDatabase) -> str:
    """An API token for amira, a responder."""
    return database.create_user("amira")


@pytest.fixture(scope="module")
def sam(database: ServerDatabase) -> str:
    """Another responder's API token."""
    return database.create_user("sam")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def declare_in_subprocess(database: ServerDatabase, username: str, private: bool = False) -> int:
    """Declare an incident from a separate `hotwash shell` process; its id."""
    output = database.run(
        "shell",
        "-c",
        "from django.contrib.auth.models import User;"
        "from hotwash.incidents.services import declare_incident;"
        f"user = User.objects.get(username={username!r});"
        f"print(declare_incident(actor=user, title='Checkout is failing', private={private}).pk)",
    )
    return int(output.strip().splitlines()[-1])


def note_in_subprocess(database: ServerDatabase, username: str, pk: int, body: str) -> None:
    database.run(
        "shell",
        "-c",
        "from django.contrib.auth.models import User;"
        "from hotwash.incidents.models import Incident;"
        "from hotwash.incidents.services import add_timeline_event;"
        f"add_timeline_event(Incident.objects.get(pk={pk}),"
        f" actor=User.objects.get(username={username!r}), body={body!r})",
    )


def add_note(server: RunningServer, token: str, pk: int, body: str) -> None:
    response = httpx.post(
        f"{server.url}/api/v1/incidents/INC-{pk}/timeline",
        json={"body": body},
        headers=bearer(token),
        timeout=WAIT,
    )
    assert response.status_code == 201, response.text


@contextlib.contextmanager
def subscribe(server: RunningServer, token: str, pk: int) -> Iterator[EventReader]:
    """An open event stream for incident `pk`, past its ready event."""
    with (
        httpx.Client(timeout=httpx.Timeout(WAIT)) as client,
        client.stream("GET", events_url(server, pk), headers=bearer(token)) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = EventReader(response)
        assert reader.next_event()["event"] == "ready"
        yield reader


def events_url(server: RunningServer, pk: int) -> str:
    return f"{server.url}/live/incidents/{pk}/events"


def test_it_streams_a_note_added_through_the_api(
    database: ServerDatabase, server: RunningServer, token: str
) -> None:
    pk = declare_in_subprocess(database, "amira")
    with subscribe(server, token, pk) as stream:
        add_note(server, token, pk, "Rolled back the 14:02 deploy.")
        change = stream.next_change()
    assert change["incident"] == pk
    assert change["kind"] == "timeline"


def test_a_stream_hears_nothing_about_other_incidents(
    database: ServerDatabase, server: RunningServer, token: str
) -> None:
    watched = declare_in_subprocess(database, "amira")
    other = declare_in_subprocess(database, "amira")
    with subscribe(server, token, watched) as stream:
        add_note(server, token, other, "Elsewhere.")
        add_note(server, token, watched, "Here.")
        # Changes arrive in order, so the other incident's would come first.
        assert stream.next_change()["incident"] == watched


def test_it_refuses_a_stream_without_credentials_or_to_the_wrong_person(
    database: ServerDatabase, server: RunningServer, token: str, sam: str
) -> None:
    secret = declare_in_subprocess(database, "sam", private=True)
    assert httpx.get(events_url(server, secret), timeout=WAIT).status_code == 401
    assert (
        httpx.get(events_url(server, secret), headers=bearer("hw_wrong"), timeout=WAIT).status_code
        == 401
    )
    refused = httpx.get(events_url(server, secret), headers=bearer(token), timeout=WAIT)
    assert refused.status_code == 404
    assert "Checkout" not in refused.text
    assert (
        httpx.get(events_url(server, secret + 1), headers=bearer(token), timeout=WAIT).status_code
        == 404
    )


def test_a_client_that_leaves_frees_its_thread(database: ServerDatabase, token: str) -> None:
    # Five threads leave room for one stream (the rest are kept for pages),
    # so a second stream is refused until the server notices the first
    # client has gone: its next heartbeat write fails and the stream ends.
    pk = declare_in_subprocess(database, "amira")
    few_threads = dataclasses.replace(database, env={**database.env, "HOTWASH_THREADS": "5"})
    with running_server(few_threads, "--no-collectstatic") as server:
        with subscribe(server, token, pk):
            refused = httpx.get(events_url(server, pk), headers=bearer(token), timeout=WAIT)
            assert refused.status_code == 503
        deadline = time.monotonic() + WAIT
        while True:
            with (
                httpx.Client(timeout=WAIT) as client,
                client.stream("GET", events_url(server, pk), headers=bearer(token)) as response,
            ):
                if response.status_code == 200:
                    break
                assert response.status_code == 503
            assert time.monotonic() < deadline, "the first stream was never released"
            time.sleep(0.2)


# --- across processes (PostgreSQL) --------------------------------------------


@pytest.fixture
def postgresql() -> None:
    """Skips the test on SQLite (request it before the server fixtures)."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite deployments are single-process by design: live updates cross "
            "processes only through PostgreSQL LISTEN/NOTIFY."
        )


def test_on_postgresql_a_change_made_on_one_server_reaches_a_stream_on_another(
    postgresql: None, database: ServerDatabase, server: RunningServer, token: str
) -> None:
    pk = declare_in_subprocess(database, "amira")
    with running_server(database, "--no-collectstatic") as other_server:
        assert other_server.process.pid != server.process.pid
        with subscribe(server, token, pk) as stream:
            add_note(other_server, token, pk, "Written on the other server.")
            change = stream.next_change()
    assert (change["incident"], change["kind"]) == (pk, "timeline")


def test_on_postgresql_a_change_made_by_a_command_reaches_a_stream(
    postgresql: None, database: ServerDatabase, server: RunningServer, token: str
) -> None:
    pk = declare_in_subprocess(database, "amira")
    with subscribe(server, token, pk) as stream:
        note_in_subprocess(database, "amira", pk, "Written by a script.")
        change = stream.next_change()
    assert (change["incident"], change["kind"]) == (pk, "timeline")

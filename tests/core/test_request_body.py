"""Streamed request bodies (`Transfer-Encoding: chunked`, no Content-Length)
through a real `hotwash serve`: read whole, within HOTWASH_MAX_BODY_BYTES;
refused with 413 beyond it, without being read to the end."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
import pytest

from hotwash.core.request_body import BODY_OVER_LIMIT, read_unsized_bodies
from tests.integrations.alertmanager.payloads import am_alert, am_payload
from tests.support.servers import RunningServer, running_server, server_database

# A body is read (or refused) before any query, whichever the database: run
# once, by the PostgreSQL suite (the SQLite one runs more such tests).
pytestmark = pytest.mark.database_independent(suite="postgres")

LIMIT = 16 * 1024


def in_pieces(body: bytes, size: int = 1000) -> Iterator[bytes]:
    """A generator body: httpx sends it chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with server_database(tmp_path_factory.mktemp("bodies")) as database:
        database.env["HOTWASH_MAX_BODY_BYTES"] = str(LIMIT)
        with running_server(database, "--no-collectstatic") as running:
            yield running


@pytest.fixture(scope="module")
def person(server: RunningServer) -> str:
    return server.database.create_user("amira")


@pytest.fixture(scope="module")
def source(server: RunningServer) -> str:
    return server.database.run(
        "createtoken", "--source", "prometheus", "--kind", "alertmanager"
    ).strip()


def post_chunked(server: RunningServer, path: str, token: str, body: bytes) -> httpx.Response:
    request = httpx.Request(
        "POST",
        f"{server.url}{path}",
        content=in_pieces(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert request.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in request.headers
    with httpx.Client(timeout=30) as client:
        return client.send(request)


def incident_titles(server: RunningServer) -> list[str]:
    rows = server.database.query("SELECT title FROM incidents_incident ORDER BY id")
    return [str(title) for (title,) in rows]


@pytest.mark.server
def test_a_chunked_alertmanager_webhook_is_read(server: RunningServer, source: str) -> None:
    body = am_payload(am_alert("CartDown", service="cart", instance="pod-1"))
    response = post_chunked(server, "/api/v1/alerts/alertmanager", source, body)
    assert response.status_code == 200, response.text
    rows = server.database.query("SELECT labels FROM alerts_alert")
    # A JSON column: text from SQLite, already decoded by psycopg.
    labels = [value if isinstance(value, dict) else json.loads(value) for (value,) in rows]
    assert [label["alertname"] for label in labels] == ["CartDown"]


@pytest.mark.server
def test_a_chunked_incident_declaration_is_read(server: RunningServer, person: str) -> None:
    body = json.dumps({"title": "Checkout fails", "summary": "x" * (LIMIT - 100)}).encode()
    response = post_chunked(server, "/api/v1/incidents", person, body)
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Checkout fails"
    assert "Checkout fails" in incident_titles(server)


@pytest.mark.server
def test_a_chunked_body_over_the_limit_is_413_and_changes_nothing(
    server: RunningServer, person: str
) -> None:
    before = incident_titles(server)
    body = json.dumps({"title": "Too long", "summary": "x" * (50 * LIMIT)}).encode()
    response = post_chunked(server, "/api/v1/incidents", person, body)
    assert response.status_code == 413
    assert str(LIMIT) in response.json()["message"]
    assert incident_titles(server) == before
    # The server goes on answering.
    again = post_chunked(server, "/api/v1/incidents", person, b'{"title": "After"}')
    assert again.status_code == 201, again.text


def seen_by(environ: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """What the wrapped application receives for `environ`."""
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.update(environ)
        return [b""]

    read_unsized_bodies(app)(environ, lambda *args: None)
    return seen, seen["wsgi.input"].read()


@pytest.mark.parametrize(("size", "over"), [(LIMIT, False), (LIMIT + 1, True)])
def test_the_limit_is_inclusive(settings: Any, size: int, over: bool) -> None:
    settings.MAX_BODY_BYTES = LIMIT
    environ = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"x" * size)}
    seen, body = seen_by(environ)
    assert seen.get(BODY_OVER_LIMIT, False) is over
    assert seen["CONTENT_LENGTH"] == str(len(body))
    assert len(body) == (0 if over else size)


def test_a_body_with_a_length_is_left_to_django(settings: Any) -> None:
    settings.MAX_BODY_BYTES = LIMIT
    stream = io.BytesIO(b"x" * 10)
    seen, _body = seen_by({"CONTENT_LENGTH": "10", "wsgi.input": stream})
    assert seen["wsgi.input"] is stream
    assert BODY_OVER_LIMIT not in seen


def test_a_body_over_the_limit_is_read_no_further_than_the_limit(settings: Any) -> None:
    settings.MAX_BODY_BYTES = LIMIT
    stream = io.BytesIO(b"x" * (10 * LIMIT))
    seen_by({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": stream})
    assert stream.tell() == LIMIT + 1

"""Every request gets an X-Request-ID (kept from the proxy when well-formed),
one access line from the `hotwash.request` logger, and the id on every log
record written while it is served."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.core.logging import JsonFormatter, RequestIdFilter
from hotwash.core.request_id import MAX_LENGTH, request_id_from
from tests.core.logged_urls import LOGGER
from tests.support.servers import running_server, server_database

# What is logged of a request is decided before any query, whichever the
# database: run once, by the SQLite suite.
pytestmark = pytest.mark.database_independent

HEX_ID = r"[0-9a-f]{32}"


class JsonLines:
    """What the loggers wrote, through Hotwash's JSON formatter and filter."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def of(self, logger: str) -> list[dict[str, Any]]:
        return [record for record in self.records() if record["logger"] == logger]


@pytest.fixture
def json_lines() -> Iterator[JsonLines]:
    lines = JsonLines()
    handler = logging.StreamHandler(lines.stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(name) for name in ("hotwash.request", "django.request", LOGGER)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.django_db
def test_it_generates_an_id_and_writes_one_access_line(json_lines: JsonLines) -> None:
    response = Client().get("/en/accounts/login/")
    request_id = response["X-Request-ID"]
    assert request_id and len(request_id) == 32
    [line] = json_lines.of("hotwash.request")
    assert line["request_id"] == request_id
    assert line["level"] == "INFO"
    assert line["method"] == "GET"
    assert line["path"] == "/en/accounts/login/"
    assert line["route"] == "en/accounts/login/"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert line["time"].endswith("+00:00")
    assert "GET /en/accounts/login/ 200 " in line["message"]


@pytest.mark.django_db
def test_it_keeps_a_well_formed_id_from_the_proxy(json_lines: JsonLines) -> None:
    sent = "5f0c2e9a-1d2b-4c3d-8e4f-a1b2c3d4e5f6"
    response = Client().get("/en/accounts/login/", HTTP_X_REQUEST_ID=sent)
    assert response["X-Request-ID"] == sent
    assert json_lines.of("hotwash.request")[0]["request_id"] == sent


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sent",
    [
        "",
        "abc def",
        'abc"} {"level": "CRITICAL',
        "line\tbreak",
        "x" * (MAX_LENGTH + 1),
        "é-accent",
    ],
)
def test_it_replaces_a_malformed_id(json_lines: JsonLines, sent: str) -> None:
    response = Client().get("/en/accounts/login/", HTTP_X_REQUEST_ID=sent)
    assert response["X-Request-ID"] != sent
    assert len(response["X-Request-ID"]) == 32
    if sent:
        assert sent not in json_lines.stream.getvalue()


def test_the_id_rule() -> None:
    assert request_id_from("a" * MAX_LENGTH) == "a" * MAX_LENGTH
    assert request_id_from("Root=1-5759e988:bd86+2e/3f_e.1") == "Root=1-5759e988:bd86+2e/3f_e.1"
    assert request_id_from(None) != request_id_from(None)
    assert request_id_from("a\nb") != "a\nb"


@pytest.mark.django_db
@pytest.mark.urls("tests.core.logged_urls")
def test_a_record_written_during_the_request_carries_its_id(json_lines: JsonLines) -> None:
    response = Client().get("/logged/checkout/", HTTP_X_REQUEST_ID="from-the-proxy-42")
    assert response.status_code == 200
    [record] = json_lines.of(LOGGER)
    assert record["message"] == "Looked at checkout"
    assert record["level"] == "WARNING"
    assert record["request_id"] == "from-the-proxy-42"
    [access] = json_lines.of("hotwash.request")
    assert access["route"] == "logged/<str:name>/"
    # Outside a request, no id.
    logging.getLogger(LOGGER).warning("Between requests")
    assert json_lines.of(LOGGER)[-1]["request_id"] is None


@pytest.mark.django_db
def test_the_access_line_names_the_api_caller(json_lines: JsonLines, responder: User) -> None:
    token = create_api_token(responder, name="logs")
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    [line] = json_lines.of("hotwash.request")
    assert line["user_id"] == responder.pk
    assert line["route"] == "api/v1/me"
    assert token not in json_lines.stream.getvalue()


@pytest.mark.django_db
def test_static_files_and_unknown_paths_get_an_id_too(json_lines: JsonLines) -> None:
    for path, status in (("/static/hotwash/app.css", 200), ("/en/no-such-page/", 404)):
        response = Client().get(path)
        assert response.status_code == status
        assert len(response["X-Request-ID"]) == 32
        response.close()  # a file response holds the file open
    routes = [line["route"] for line in json_lines.of("hotwash.request")]
    assert routes == [None, None]


@pytest.mark.django_db
def test_djangos_own_request_lines_carry_the_id(json_lines: JsonLines) -> None:
    # Django writes "Not Found: ..." after every middleware has returned.
    response = Client().get("/en/no-such-page/", HTTP_X_REQUEST_ID="proxy-404")
    assert response.status_code == 404
    [line] = json_lines.of("django.request")
    assert line["message"] == "Not Found: /en/no-such-page/"
    assert line["request_id"] == "proxy-404"
    assert "request" not in line  # the object itself: its method and path are in the message


@pytest.mark.server
def test_a_served_request_is_logged_as_one_json_line(tmp_path: Path) -> None:
    with server_database(tmp_path) as database:
        token = database.create_user("amira")
        database.env.update({"HOTWASH_LOG_FORMAT": "json", "HOTWASH_LOG_LEVEL": "INFO"})
        with running_server(database) as server:
            response = httpx.get(
                f"{server.url}/api/v1/me",
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "proxy-id-7"},
            )
            assert response.status_code == 200
            assert response.headers["x-request-id"] == "proxy-id-7"
            generated = httpx.get(f"{server.url}/en/accounts/login/").headers["x-request-id"]
        log = (database.data_dir / f"server-{server.url.rsplit(':', 1)[1]}.log").read_text()
    # Records go to standard error as JSON; the start-up banner on standard
    # output stays a sentence.
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = {r["request_id"]: r for r in records if r["logger"] == "hotwash.request"}
    me = access["proxy-id-7"]
    assert (me["method"], me["route"], me["status"]) == ("GET", "api/v1/me", 200)
    assert isinstance(me["user_id"], int)
    assert access[generated]["route"] == "en/accounts/login/"
    assert token not in log


@pytest.mark.django_db
def test_the_access_line_names_the_signed_in_person(json_lines: JsonLines, responder: User) -> None:
    client = Client()
    client.force_login(responder)
    assert client.get("/en/").status_code == 200
    [line] = json_lines.of("hotwash.request")
    assert line["user_id"] == responder.pk
    assert f"user={responder.pk}" in line["message"]

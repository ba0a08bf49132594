from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext

from tests.support.notifications import wait_until
from tests.support.servers import RunningServer, ServerDatabase, running_server, server_database

pytestmark = pytest.mark.server

PASSWORD = "pw-for-tests-42"
# A password that must never reach a browser: the debug page once printed
# every environment variable of the served process.
SMTP_CANARY = "smtp://hotwash:smtp-canary-7f3a9@127.0.0.1:2525"
SERVER_ERROR_HEADING = "Something went wrong on our side"


def test_it_serves_the_app_and_static_files_with_the_security_headers(tmp_path: Path) -> None:
    with (
        server_database(tmp_path) as database,
        running_server(database) as server,
        # A generous timeout: the first OpenAPI schema is built on demand, and
        # this checks what is served, not how fast (httpx waits 5 s by default).
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        token = database.create_user("amira")
        assert token.startswith("hw_")
        assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Hotwash API"
        for path, content_type in (
            ("/static/admin/css/base.css", "text/css"),
            ("/static/hotwash/app.css", "text/css"),
            ("/static/hotwash/live.js", "text/javascript"),
            ("/static/ninja/swagger-ui-bundle.js", "text/javascript"),
        ):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith(content_type), path
            assert response.headers["x-content-type-options"] == "nosniff", path
            assert response.content, path
        page = client.get("/en/accounts/login/")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-content-type-options"] == "nosniff"
        assert client.get("/static/hotwash/no-such.css").status_code == 404


@dataclass
class Session:
    """Someone signed in to a running server: its address and their cookies."""

    url: str
    cookies: httpx.Cookies


def signed_in(server: RunningServer, username: str) -> Session:
    """Sign in through the real sign-in form."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        form = client.get("/en/accounts/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert match, form.text
        response = client.post(
            "/en/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match[1]},
            headers={"Referer": f"{server.url}/en/accounts/login/"},
        )
        assert response.status_code == 302, response.text
        return Session(server.url, client.cookies)


def break_the_incident_table(database: ServerDatabase) -> None:
    """Make every incident query fail, as a real fault would: the served
    processes answer the incident list with a 500 (no test hook in them)."""
    sql = "ALTER TABLE incidents_incident RENAME TO incidents_incident_gone"
    if database.url.startswith("sqlite:"):
        with sqlite3.connect(database.url.removeprefix("sqlite:///")) as connection:
            connection.execute(sql)
    else:
        import psycopg

        with psycopg.connect(database.url, autocommit=True) as connection:
            connection.execute(sql)


def fresh_get(session: Session, path: str) -> httpx.Response:
    """A GET on a new connection, so that requests spread over the server's
    worker processes."""
    with httpx.Client(base_url=session.url, cookies=session.cookies, timeout=10) as once:
        return once.get(path, headers={"Connection": "close"})


def heading_in(language: str) -> str:
    with translation.override(language):
        return gettext(SERVER_ERROR_HEADING)


def assert_hotwashs_error_page(response: httpx.Response, language: str) -> None:
    assert response.status_code == 500
    assert f'<html lang="{language}">' in response.text
    assert heading_in(language) in response.text
    assert SMTP_CANARY not in response.text
    assert "smtp-canary" not in response.text
    assert "Traceback" not in response.text
    assert "HOTWASH_" not in response.text


def test_a_server_error_shows_hotwashs_page_without_secrets_in_every_worker(
    tmp_path: Path,
) -> None:
    """Debug left at its default, a real fault in a served worker: Hotwash's
    own page, in the request's language, with no setting, environment
    variable or traceback in it."""
    with server_database(tmp_path) as database:
        database.env.pop("HOTWASH_DEBUG", None)
        database.env["HOTWASH_SMTP_URL"] = SMTP_CANARY
        database.create_user("victor", role="viewer", password=PASSWORD)
        with running_server(database, "--workers", "2") as server:
            viewer = signed_in(server, "victor")
            assert fresh_get(viewer, "/en/incidents/").status_code == 200
            break_the_incident_table(database)
            for language in ("en", "fr"):
                for _ in range(6):  # bounded; new connections reach both workers
                    assert_hotwashs_error_page(
                        fresh_get(viewer, f"/{language}/incidents/"), language
                    )
            # The operator still gets the traceback, in the server's log.
            log = next(database.data_dir.glob("server-*.log")).read_text()
            assert "Internal Server Error: /en/incidents/" in log
            assert "Traceback" in log


def test_with_hotwash_debug_only_an_admin_sees_the_debug_page(tmp_path: Path) -> None:
    with server_database(tmp_path) as database:
        database.env["HOTWASH_DEBUG"] = "1"
        database.env["HOTWASH_SMTP_URL"] = SMTP_CANARY
        database.create_user("victor", role="viewer", password=PASSWORD)
        database.create_user("ada", role="admin", password=PASSWORD)
        with running_server(database, "--workers", "2") as server:
            viewer = signed_in(server, "victor")
            admin = signed_in(server, "ada")
            break_the_incident_table(database)
            for _ in range(4):
                assert_hotwashs_error_page(fresh_get(viewer, "/fr/incidents/"), "fr")
                debug_page = fresh_get(admin, "/en/incidents/")
                assert debug_page.status_code == 500
                assert "Traceback" in debug_page.text


HEARTBEAT_POLICY = """
heartbeats:
  - name: nightly-backup
    period: 1s
    grace: 0s
    service: backups
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded default")
def test_served_as_make_run_serves_it_the_time_based_work_happens(tmp_path: Path) -> None:
    """`hotwash serve` with no flag, on SQLite: a heartbeat that went silent
    opens its incident and the reminder scan runs, with no second command."""
    policy = tmp_path / "triggers.yaml"
    policy.write_text(HEARTBEAT_POLICY)
    with server_database(tmp_path) as database:
        database.env["HOTWASH_TRIGGER_POLICY_FILE"] = str(policy)
        database.run(
            "shell",
            "-c",
            "from hotwash.triggers.heartbeats import ping; ping('nightly-backup', actor=None)",
        )
        with running_server(database, worker=None) as server:
            assert "Background worker: runs beside the server" in server.log

            def incidents() -> list[str]:
                return [row[0] for row in database.query("SELECT title FROM incidents_incident")]

            assert wait_until(
                lambda: incidents() == ["Monitoring failure: nightly-backup silent"], timeout=90
            ), server.log
            runs = dict(
                database.query(
                    "SELECT name, run_count FROM jobs_periodicjobstate "
                    "WHERE last_worker LIKE 'serve-%'"
                )
            )
            assert runs["triggers.heartbeats"] >= 1
            assert runs["notifications.reminders"] >= 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's default")
def test_on_postgresql_serve_leaves_background_work_to_hotwash_worker(tmp_path: Path) -> None:
    with server_database(tmp_path) as database, running_server(database, worker=None) as server:
        assert "Background worker: not in this process; run `hotwash worker`" in server.log
        assert "Background worker started" not in server.log
        assert database.query("SELECT name FROM jobs_periodicjobstate") == []

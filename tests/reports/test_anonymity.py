"""An anonymous report leaves no trace of its author: not in its row, not
in any audit record, not in the request log (plain or JSON), not in the
outbox. The request log never names who called the filing endpoints, named
reports included, so a missing user says nothing either."""

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
from django.core import serializers
from django.test import Client

from hotwash.core.logging import JsonFormatter, RequestIdFilter
from hotwash.core.models import AuditRecord
from hotwash.notifications.models import Event
from hotwash.reports.models import Report
from tests.reports.conftest import post_json, session_client, token_client
from tests.support.servers import running_server, server_database

ANONYMOUS = {"kind": "near-miss", "text": "The failover almost promoted the wrong replica."}


class AccessLog:
    """The `hotwash.request` lines, as the text format and the JSON format
    write them."""

    def __init__(self) -> None:
        self.text = io.StringIO()
        self.json = io.StringIO()

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.json.getvalue().splitlines()]

    def everything(self) -> str:
        return self.text.getvalue() + self.json.getvalue()


@pytest.fixture
def access_log() -> Iterator[AccessLog]:
    log = AccessLog()
    logger = logging.getLogger("hotwash.request")
    text = logging.StreamHandler(log.text)  # the text format: the message alone
    as_json = logging.StreamHandler(log.json)
    as_json.setFormatter(JsonFormatter())
    handlers = [text, as_json]
    level = logger.level
    for handler in handlers:
        handler.addFilter(RequestIdFilter())
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield log
    for handler in handlers:
        logger.removeHandler(handler)
    logger.setLevel(level)


def _assert_no_trace(user: User, log: AccessLog) -> None:
    """`user` is nowhere: the report rows, the audit trail, the outbox, the
    access lines."""
    name = user.get_username()
    reports = serializers.serialize("json", Report.objects.all())
    assert all(report.author_id is None for report in Report.objects.all())
    assert name not in reports
    for record in AuditRecord.objects.all():
        assert record.actor_id is None
        assert name not in json.dumps(record.changes)
    events = serializers.serialize("json", Event.objects.all())
    assert name not in events
    assert f"user={user.pk}" not in log.text.getvalue()
    for line in log.json_lines():
        assert line["user_id"] is None
        assert "user=-" in line["message"]
    assert name not in log.everything()


@pytest.mark.django_db
def test_filing_anonymously_through_the_api_leaves_no_trace(
    reporter: User, access_log: AccessLog
) -> None:
    client = token_client(reporter)
    AuditRecord.objects.all().delete()  # the token's own record names its owner
    response = post_json(client, "/api/v1/reports", {**ANONYMOUS, "anonymous": True})
    assert response.status_code == 201
    [line] = access_log.json_lines()
    assert (line["method"], line["route"], line["status"]) == ("POST", "api/v1/reports", 201)
    _assert_no_trace(reporter, access_log)


@pytest.mark.django_db
def test_filing_anonymously_from_the_page_leaves_no_trace(
    reporter: User, access_log: AccessLog
) -> None:
    client = session_client(reporter)
    AuditRecord.objects.all().delete()
    form = {**ANONYMOUS, "identity": "anonymous"}
    assert client.get("/en/reports/new/").status_code == 200
    assert client.post("/en/reports/new/", form).status_code == 200
    assert [line["method"] for line in access_log.json_lines()] == ["GET", "POST"]
    _assert_no_trace(reporter, access_log)


@pytest.mark.django_db
def test_refused_filings_leave_no_user_in_the_log_either(
    reporter: User, access_log: AccessLog
) -> None:
    """Refusals before the view runs (invalid body, CSRF) are the same URL."""
    client = token_client(reporter)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reporter)
    AuditRecord.objects.all().delete()  # the token's and the sign-in's own records
    post_json(client, "/api/v1/reports", {"kind": "near-miss", "text": "x"})
    assert (
        strict.post("/en/reports/new/", {**ANONYMOUS, "identity": "anonymous"}).status_code == 403
    )
    assert [line["status"] for line in access_log.json_lines()] == [422, 403]
    assert not Report.objects.exists()
    _assert_no_trace(reporter, access_log)


@pytest.mark.django_db
def test_named_filings_are_not_logged_with_their_user_either(
    reporter: User, access_log: AccessLog
) -> None:
    response = post_json(
        token_client(reporter), "/api/v1/reports", {**ANONYMOUS, "anonymous": False}
    )
    assert response.status_code == 201
    [line] = access_log.json_lines()
    assert line["user_id"] is None


@pytest.mark.django_db
def test_other_requests_still_name_their_user(reporter: User, access_log: AccessLog) -> None:
    """The capture works: elsewhere the same caller is named."""
    assert token_client(reporter).get("/api/v1/reports/mine").status_code == 200
    assert token_client(reporter).get("/api/v1/me").status_code == 200
    assert [line["user_id"] for line in access_log.json_lines()] == [reporter.pk, reporter.pk]
    assert f"user={reporter.pk}" in access_log.text.getvalue()


@pytest.mark.server
def test_a_served_anonymous_filing_is_logged_without_its_user(tmp_path: Path) -> None:
    """Through `hotwash serve` and its JSON log (the text format is the
    same record's message, checked above)."""
    with server_database(tmp_path) as database:
        token = database.create_user("amira")
        database.env.update({"HOTWASH_LOG_FORMAT": "json", "HOTWASH_LOG_LEVEL": "INFO"})
        headers = {"Authorization": f"Bearer {token}"}
        with running_server(database) as server:
            me = httpx.get(f"{server.url}/api/v1/me", headers={**headers, "X-Request-ID": "me"})
            filed = httpx.post(
                f"{server.url}/api/v1/reports",
                json={**ANONYMOUS, "anonymous": True},
                headers={**headers, "X-Request-ID": "filed"},
            )
            assert (me.status_code, filed.status_code) == (200, 201)
        log = server.log_path.read_text()
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = {r["request_id"]: r for r in records if r["logger"] == "hotwash.request"}
    assert isinstance(access["me"]["user_id"], int)
    assert access["filed"]["user_id"] is None
    assert access["filed"]["message"].endswith("user=-")
    assert "amira" not in log

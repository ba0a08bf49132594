"""Jira's client, against the Jira stand-in on loopback: what a push sends
with either authentication, and polls following nextPageToken."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from pytest_django import DjangoCaptureOnCommitCallbacks

from hotwash.teams.models import Team
from hotwash.trackers import services, tasks
from hotwash.trackers.models import SyncState
from tests.integrations.jira.standin import JiraStandIn
from tests.support.trackers import configure, linked_items, make_item, push

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 3, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize("bearer", [False, True], ids=["email-and-api-token", "bearer-token"])
def test_it_pushes_to_jira_with_either_authentication(
    bearer: bool,
    responder: User,
    team: Team,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with JiraStandIn(bearer=bearer) as jira:
        configure(monkeypatch, jira, team=team, issue_type="Story")
        item = make_item(responder, team)
        link = push(item, responder, django_capture_on_commit_callbacks)
        assert tasks.attempt_push(link.pk) == "created"

    link.refresh_from_db()
    assert (link.sync_state, link.external_key) == (SyncState.SYNCED, "OPS-1")
    assert link.url == f"{jira.url}/browse/OPS-1"
    (sent,) = jira.sent("POST", "/rest/api/3/issue")
    fields = sent.body["fields"]
    assert fields["project"] == {"key": "OPS"}
    assert fields["issuetype"] == {"name": "Story"}
    assert item.due_on is not None
    assert fields["duedate"] == item.due_on.isoformat()
    assert fields["description"]["type"] == "doc"
    assert link.marker in str(fields["description"])
    assert sent.headers["authorization"].startswith("Bearer " if bearer else "Basic ")


def test_jira_pages_follow_next_page_token(
    responder: User,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
    small_pages: None,
) -> None:
    with JiraStandIn() as jira:
        tracker, _items = linked_items(responder, jira, monkeypatch, 5)
        clock.shift(timedelta(minutes=10))
        before = len(jira.requests)
        services.poll_tracker(tracker, datetime.now(UTC))
        reads = jira.requests[before:]
    assert [r.path for r in reads] == ["/rest/api/3/search/jql"] * 3
    assert "nextPageToken" not in reads[0].body
    assert reads[1].body["nextPageToken"]
    assert reads[0].body["jql"].startswith('project = "OPS" AND updated >= ')

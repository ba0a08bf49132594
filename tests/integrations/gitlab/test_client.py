"""GitLab's client, against the GitLab stand-in on loopback: what a push
sends, and polls naming the linked iids and following X-Next-Page."""

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
from tests.integrations.gitlab.standin import GitLabStandIn
from tests.support.trackers import configure, linked_items, make_item, push

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 3, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_it_pushes_to_gitlab_with_a_due_date(
    responder: User,
    team: Team,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with GitLabStandIn() as gitlab:
        configure(monkeypatch, gitlab, team=team)
        item = make_item(responder, team)
        link = push(item, responder, django_capture_on_commit_callbacks)
        assert tasks.attempt_push(link.pk) == "created"

    link.refresh_from_db()
    assert (link.sync_state, link.external_key, link.external_id) == (SyncState.SYNCED, "1", "5001")
    assert link.url == "https://gitlab.example/acme/payments/-/issues/1"
    (sent,) = gitlab.sent("POST")
    assert sent.path == "/api/v4/projects/acme%2Fpayments/issues"
    assert sent.headers["private-token"] == "gl-token"
    assert item.due_on is not None
    assert sent.body["due_date"] == item.due_on.isoformat()
    assert "severity:SEV2" in sent.body["labels"].split(",")
    assert link.marker in sent.body["description"]


def test_gitlab_asks_for_the_linked_iids_and_follows_x_next_page(
    responder: User,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
    small_pages: None,
) -> None:
    with GitLabStandIn() as gitlab:
        tracker, _items = linked_items(responder, gitlab, monkeypatch, 3)
        gitlab.add_issue("Unrelated")
        clock.shift(timedelta(minutes=10))
        before = len(gitlab.requests)
        services.poll_tracker(tracker, datetime.now(UTC))
        reads = gitlab.requests[before:]
    assert [r.query["page"] for r in reads] == [["1"], ["2"]]
    assert sorted(reads[0].query["iids[]"]) == ["1", "2", "3"]

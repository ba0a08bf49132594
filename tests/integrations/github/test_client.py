"""GitHub's client, against the GitHub stand-in on loopback: what a push
sends, and polls following the Link header."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from hotwash.core.models import AuditRecord
from hotwash.incidents.models import TimelineEvent, TimelineKind
from hotwash.teams.models import Team
from hotwash.trackers import services
from hotwash.trackers.models import IssueState, SyncState
from hotwash.trackers.tasks import push_action_item
from tests.integrations.github.standin import GitHubStandIn
from tests.support.trackers import configure, linked_items, make_item, push, queued_runs

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 3, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_it_pushes_to_github_with_a_link_back_labels_and_the_marker(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.SITE_URL = "https://hotwash.example"
    configure(monkeypatch, github, team=team, labels="incident-followup")
    item = make_item(responder, team)

    link = push(item, responder, django_capture_on_commit_callbacks)
    assert link.sync_state == SyncState.PENDING
    assert queued_runs() == [None]  # enqueued when the transaction committed

    assert push_action_item.call(link.pk) == "created"

    link.refresh_from_db()
    assert link.sync_state == SyncState.SYNCED
    assert link.external_key == "1"
    assert link.url == "https://github.example/acme/payments/issues/1"
    assert link.issue_state == IssueState.OPEN
    assert link.display_key == "acme/payments#1"
    assert link.last_synced_at == T0
    (sent,) = github.sent("POST")
    assert sent.headers["authorization"] == "Bearer gh-token"
    assert sent.body["title"] == f"Alert on card payment errors ({item.ref})"
    body = sent.body["body"]
    assert f"https://hotwash.example/en/action-items/{item.pk}/" in body
    reader = Client()
    reader.force_login(responder)
    assert reader.get(f"/en/action-items/{item.pk}/").status_code == 200  # the link works
    assert item.incident is not None and item.due_on is not None
    assert f"https://hotwash.example/en/incidents/{item.incident.ref}/" in body
    assert "Checkout fails for card payments" in body
    assert "Page the on-call" in body
    assert f"<!-- {link.marker} -->" in body
    assert set(sent.body["labels"]) >= {
        "hotwash",
        "severity:SEV2",
        "priority:high",
        "kind:detect",
        f"due:{item.due_on.isoformat()}",
        "incident-followup",
    }
    pushed = AuditRecord.objects.get(action="tracker.pushed")
    assert pushed.changes["url"] == link.url
    entry = TimelineEvent.objects.filter(kind=TimelineKind.ACTION_ITEM).last()
    assert entry is not None and entry.data["event"] == "tracker_linked"


def test_github_pages_follow_the_link_header(
    responder: User,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
    small_pages: None,
) -> None:
    with GitHubStandIn() as github:
        tracker, _items = linked_items(responder, github, monkeypatch, 5)
        clock.shift(timedelta(minutes=10))
        before = len(github.requests)
        services.poll_tracker(tracker, datetime.now(UTC))
        pages = [r.query.get("page", ["1"])[0] for r in github.requests[before:]]
    assert pages == ["1", "2", "3"]
    first = github.requests[before]
    assert first.query["state"] == ["all"]
    assert first.query["per_page"] == ["2"]
    assert first.query["since"] == [(T0 - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")]

"""The periodic poll: the fallback for missed webhooks, reading issue states
in pages (GitHub's Link header, GitLab's X-Next-Page, Jira's nextPageToken)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from hotwash.actions.models import ActionItem, Status
from hotwash.actions.services import update_action_item
from hotwash.jobs.schedule import registered_jobs
from hotwash.teams.models import Team
from hotwash.trackers import clients, services
from hotwash.trackers.models import IssueState, TrackerConfig, TrackerKind, TrackerLink
from tests.trackers_standins import GitHubStandIn, GitLabStandIn, JiraStandIn
from tests.trackers_standins.setup import StandInAny, configure, make_item, standin_for

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: Any) -> None:
    monkeypatch.setattr(clients, "PER_PAGE", 2)


def key_of(standin: StandInAny, link: TrackerLink) -> Any:
    return link.external_key if isinstance(standin, JiraStandIn) else int(link.external_key)


def status(item: ActionItem) -> str:
    return ActionItem.objects.get(pk=item.pk).status


def linked_items(
    responder: Any, standin: StandInAny, monkeypatch: Any, count: int
) -> tuple[TrackerConfig, list[ActionItem]]:
    team = Team.objects.create(name="Payments", slug="payments")
    tracker = configure(monkeypatch, standin, team=team)
    items = [make_item(responder, team) for _ in range(count)]
    for item in items:
        link = services.request_push(item, actor=responder)
        assert services.attempt_push(link.pk) == "created"
    return tracker, items


@pytest.mark.parametrize("kind", [TrackerKind.GITHUB, TrackerKind.GITLAB, TrackerKind.JIRA])
def test_the_poll_applies_closes_and_reopens_it_missed_across_pages(
    kind: str, responder: Any, monkeypatch: Any, clock: Any
) -> None:
    with standin_for(kind) as standin:
        tracker, items = linked_items(responder, standin, monkeypatch, 5)
        links = [TrackerLink.objects.get(item=item) for item in items]
        # Issues nobody linked live in the same project.
        for number in range(3):
            standin.add_issue(f"Unrelated {number}")
        clock.shift(timedelta(minutes=10))
        for index in (0, 2, 4):
            standin.close(key_of(standin, links[index]))
        before = len(standin.requests)

        clock.shift(timedelta(minutes=5))
        result = services.poll_tracker(
            TrackerConfig.objects.get(pk=tracker.pk), T0 + timedelta(minutes=15)
        )

        assert result.error == ""
        assert result.changed == 3
        assert [status(item) for item in items] == ["done", "open", "done", "open", "done"]
        reads = standin.requests[before:]
        assert len(reads) >= 2, "the poll followed the pagination"
        tracker.refresh_from_db()
        assert tracker.polled_at == T0 + timedelta(minutes=15)

        # Reopened in the tracker: the next poll reopens the item.
        clock.shift(timedelta(minutes=5))
        standin.reopen(key_of(standin, links[2]))
        clock.shift(timedelta(minutes=5))
        result = services.poll_tracker(
            TrackerConfig.objects.get(pk=tracker.pk), T0 + timedelta(minutes=25)
        )
        assert result.changed == 1
        assert status(items[2]) == Status.OPEN
        assert TrackerLink.objects.get(item=items[2]).issue_state == IssueState.OPEN


def test_github_pages_follow_the_link_header(responder: Any, monkeypatch: Any, clock: Any) -> None:
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


def test_gitlab_asks_for_the_linked_iids_and_follows_x_next_page(
    responder: Any, monkeypatch: Any, clock: Any
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


def test_jira_pages_follow_next_page_token(responder: Any, monkeypatch: Any, clock: Any) -> None:
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


def test_the_poll_leaves_an_item_completed_in_hotwash_alone(
    responder: Any, monkeypatch: Any, clock: Any
) -> None:
    with GitHubStandIn() as github:
        tracker, (item,) = linked_items(responder, github, monkeypatch, 1)
        update_action_item(item, actor=responder, changes={"status": "done"})
        clock.shift(timedelta(minutes=10))
        result = services.poll_tracker(tracker, datetime.now(UTC))
    assert result.changed == 0
    assert status(item) == Status.DONE


def test_a_failed_poll_is_recorded_and_the_next_one_catches_up(
    responder: Any, monkeypatch: Any, clock: Any
) -> None:
    with GitHubStandIn() as github:
        tracker, (item,) = linked_items(responder, github, monkeypatch, 1)
        first = datetime.now(UTC)
        services.poll_tracker(tracker, first)
        clock.shift(timedelta(minutes=10))
        github.close(1)
        github.fail_next(502, method="GET")
        result = services.poll_tracker(TrackerConfig.objects.get(pk=tracker.pk), datetime.now(UTC))
        assert "HTTP 502" in result.error
        tracker.refresh_from_db()
        assert "HTTP 502" in tracker.last_poll_error
        assert tracker.polled_at == first  # the next poll starts from the same point
        assert status(item) == Status.OPEN

        clock.shift(timedelta(minutes=5))
        result = services.poll_tracker(tracker, datetime.now(UTC))
    assert result.changed == 1
    assert status(item) == Status.DONE
    tracker.refresh_from_db()
    assert tracker.last_poll_error == ""


def test_the_poll_is_a_registered_periodic_job(
    responder: Any, monkeypatch: Any, clock: Any
) -> None:
    (job,) = [job for job in registered_jobs() if job.name == "trackers.sync"]
    assert job.every == timedelta(seconds=300)
    with GitLabStandIn() as gitlab:
        _tracker, (item,) = linked_items(responder, gitlab, monkeypatch, 1)
        clock.shift(timedelta(minutes=10))
        gitlab.close(1)
        assert job.function(datetime.now(UTC)) == {"swept": 0, "changed": 1, "errors": 0}
    assert status(item) == Status.DONE


def test_the_admin_can_read_one_issue_now(
    responder: Any, admin_user: Any, monkeypatch: Any, clock: Any
) -> None:
    from django.test import Client

    with JiraStandIn() as jira:
        _tracker, (item,) = linked_items(responder, jira, monkeypatch, 1)
        link = TrackerLink.objects.get(item=item)
        jira.close("OPS-1")
        client = Client()
        client.force_login(admin_user)
        response = client.post(
            "/en/admin/trackers/trackerlink/",
            {"action": "refresh", "_selected_action": [link.pk]},
            follow=True,
        )
        assert response.status_code == 200
        assert "the issue is Closed" in response.content.decode()
        (read,) = jira.sent("GET", "/rest/api/3/issue/OPS-1")
        assert read.query["fields"] == ["status,updated"]
    assert status(item) == Status.DONE

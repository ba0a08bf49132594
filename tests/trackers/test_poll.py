"""The periodic poll: the fallback for missed webhooks, reading issue states
in pages (GitHub's Link header, GitLab's X-Next-Page, Jira's nextPageToken;
each tracker's own paging is tested in tests/integrations/<tracker>/)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User

from hotwash.actions.models import ActionItem, Status
from hotwash.actions.services import update_action_item
from hotwash.jobs.schedule import registered_jobs
from hotwash.trackers import services
from hotwash.trackers.clients import TrackerClient
from hotwash.trackers.models import IssueState, TrackerConfig, TrackerLink
from tests.integrations.github.standin import GitHubStandIn
from tests.integrations.gitlab.standin import GitLabStandIn
from tests.integrations.jira.standin import JiraStandIn
from tests.support.trackers import StandInAny, linked_items, standin_for

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TrackerClient, "per_page", 2)


def key_of(standin: StandInAny, link: TrackerLink) -> Any:
    return link.external_key if isinstance(standin, JiraStandIn) else int(link.external_key)


def status(item: ActionItem) -> str:
    return ActionItem.objects.get(pk=item.pk).status


@pytest.mark.parametrize("kind", ["github", "gitlab", "jira"])
def test_the_poll_applies_closes_and_reopens_it_missed_across_pages(
    kind: str, responder: User, monkeypatch: pytest.MonkeyPatch, clock: time_machine.Traveller
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


def test_the_poll_leaves_an_item_completed_in_hotwash_alone(
    responder: User, monkeypatch: pytest.MonkeyPatch, clock: time_machine.Traveller
) -> None:
    with GitHubStandIn() as github:
        tracker, (item,) = linked_items(responder, github, monkeypatch, 1)
        update_action_item(item, actor=responder, changes={"status": "done"})
        clock.shift(timedelta(minutes=10))
        result = services.poll_tracker(tracker, datetime.now(UTC))
    assert result.changed == 0
    assert status(item) == Status.DONE


def test_a_failed_poll_is_recorded_and_the_next_one_catches_up(
    responder: User, monkeypatch: pytest.MonkeyPatch, clock: time_machine.Traveller
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
    responder: User, monkeypatch: pytest.MonkeyPatch, clock: time_machine.Traveller
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
    responder: User,
    admin_user: User,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
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

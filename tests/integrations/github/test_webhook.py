"""GitHub's webhooks: only issues closed or reopened count, and only in the
tracker's repository."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hotwash.actions.models import Status
from tests.integrations.github.standin import GitHubStandIn
from tests.support.trackers import SECRET, Linked, status_of

pytestmark = pytest.mark.django_db


def test_github_events_other_than_close_and_reopen_are_ignored(
    link_to: Callable[[str], Linked],
) -> None:
    linked = link_to("github")
    assert isinstance(linked.standin, GitHubStandIn)
    for action, event in (("labeled", "issues"), ("created", "issue_comment"), ("", "ping")):
        body, headers = linked.standin.webhook(linked.key, action, SECRET, event=event)
        response = linked.send(body, headers)
        assert response.status_code == 200
        assert response.json()["changed"] is False
    assert status_of(linked.item) == Status.OPEN


def test_a_github_webhook_from_another_repository_is_a_404(
    link_to: Callable[[str], Linked],
) -> None:
    linked = link_to("github")
    assert isinstance(linked.standin, GitHubStandIn)
    linked.standin.close(linked.key)
    body, headers = linked.standin.webhook(linked.key, "closed", SECRET, repository="acme/other")
    assert linked.send(body, headers).status_code == 404
    assert status_of(linked.item) == Status.OPEN

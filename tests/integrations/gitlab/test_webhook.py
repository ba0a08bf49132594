"""GitLab's Issue Hooks: only a close or a reopen counts, and only in the
tracker's project."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hotwash.actions.models import Status
from tests.integrations.gitlab.standin import GitLabStandIn
from tests.support.trackers import SECRET, Linked, status_of

pytestmark = pytest.mark.django_db


def test_a_gitlab_update_that_is_not_a_close_is_ignored(link_to: Callable[[str], Linked]) -> None:
    linked = link_to("gitlab")
    assert isinstance(linked.standin, GitLabStandIn)
    response = linked.send(*linked.webhook("update"))
    assert response.status_code == 200
    assert response.json()["changed"] is False
    other = linked.standin.webhook(linked.key, "close", SECRET, project_id=77)
    assert linked.send(*other).status_code == 404
    assert status_of(linked.item) == Status.OPEN

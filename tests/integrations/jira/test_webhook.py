"""Jira's webhooks: only a change of status counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hotwash.actions.models import Status
from tests.integrations.jira.standin import JiraStandIn
from tests.support.trackers import SECRET, Linked, status_of

pytestmark = pytest.mark.django_db


def test_a_jira_change_that_is_not_a_status_change_is_ignored(
    link_to: Callable[[str], Linked],
) -> None:
    linked = link_to("jira")
    assert isinstance(linked.standin, JiraStandIn)
    linked.standin.close(linked.key)
    body, headers = linked.standin.webhook(linked.key, SECRET, status_change=False)
    response = linked.send(body, headers)
    assert response.status_code == 200
    assert response.json()["changed"] is False
    assert status_of(linked.item) == Status.OPEN

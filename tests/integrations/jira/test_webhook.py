"""Jira's webhooks: only a change of status counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User

from hotwash.actions.models import Status
from tests.integrations.jira.standin import JiraStandIn
from tests.support.trackers import SECRET, Linked, linker, status_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def link_to(responder: User, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Linked]]:
    with linker(responder, monkeypatch) as make:
        yield make


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

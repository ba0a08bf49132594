"""Webhooks from GitHub, GitLab and Jira: signatures, close and reopen, and
requests that must change nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from django.test import Client

from hotwash.actions.models import ActionItem, Status
from hotwash.actions.services import update_action_item
from hotwash.core.models import AuditRecord
from hotwash.teams.models import Team
from hotwash.trackers import services
from hotwash.trackers.models import IssueState, TrackerConfig, TrackerKind, TrackerLink
from tests.trackers_standins import GitHubStandIn, GitLabStandIn, JiraStandIn
from tests.trackers_standins.setup import (
    SECRET,
    SECRET_ENV,
    StandInAny,
    configure,
    make_item,
    standin_for,
)

pytestmark = pytest.mark.django_db

KINDS = [TrackerKind.GITHUB, TrackerKind.GITLAB, TrackerKind.JIRA]


class Linked:
    """A tracker stand-in, its config, and an item pushed to it."""

    def __init__(self, standin: StandInAny, tracker: TrackerConfig, item: ActionItem) -> None:
        self.standin = standin
        self.tracker = tracker
        self.item = item

    @property
    def link(self) -> TrackerLink:
        return TrackerLink.objects.get(item=self.item)

    @property
    def key(self) -> Any:
        key = self.link.external_key
        return key if isinstance(self.standin, JiraStandIn) else int(key)

    @property
    def url(self) -> str:
        return f"/api/v1/trackers/{self.tracker.pk}/webhook"

    def close(self) -> tuple[bytes, dict[str, str]]:
        self.standin.close(self.key)
        return self.webhook("close")

    def reopen(self) -> tuple[bytes, dict[str, str]]:
        self.standin.reopen(self.key)
        return self.webhook("reopen")

    def webhook(
        self, what: str, secret: str = SECRET, key: Any = None
    ) -> tuple[bytes, dict[str, str]]:
        key = self.key if key is None else key
        standin = self.standin
        if isinstance(standin, GitHubStandIn):
            return standin.webhook(key, {"close": "closed", "reopen": "reopened"}[what], secret)
        if isinstance(standin, GitLabStandIn):
            return standin.webhook(key, what, secret)
        return standin.webhook(key, secret)

    def send(self, body: bytes, headers: dict[str, str]) -> Any:
        return Client().post(self.url, data=body, content_type="application/json", headers=headers)


@pytest.fixture
def link_to(responder: Any, monkeypatch: Any) -> Iterator[Callable[[str], Linked]]:
    """Make a stand-in of a kind, a team tracker for it, and an item linked there."""
    with ExitStack() as stack:

        def make(kind: str) -> Linked:
            standin = stack.enter_context(standin_for(kind))
            team = Team.objects.create(name=f"Payments {kind}", slug=f"payments-{kind}")
            tracker = configure(monkeypatch, standin, team=team)
            item = make_item(responder, team)
            link = services.request_push(item, actor=responder)
            assert services.attempt_push(link.pk) == "created"
            return Linked(standin, tracker, item)

        yield make


@pytest.fixture(params=KINDS)
def linked(request: Any, link_to: Callable[[str], Linked]) -> Linked:
    return link_to(request.param)


def status_of(item: ActionItem) -> str:
    return ActionItem.objects.get(pk=item.pk).status


def test_closing_the_issue_completes_the_item_and_reopening_reopens_it(linked: Linked) -> None:
    response = linked.send(*linked.close())
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["changed"], data["item"], data["status"]) == (True, linked.item.ref, "done")
    assert status_of(linked.item) == Status.DONE
    assert linked.link.issue_state == IssueState.CLOSED
    done = AuditRecord.objects.filter(action="action_item.updated", actor=None).last()
    assert done is not None and done.changes["status"] == {"from": "open", "to": "done"}
    assert AuditRecord.objects.filter(action="tracker.issue_closed").count() == 1

    response = linked.send(*linked.reopen())
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open"
    assert status_of(linked.item) == Status.OPEN
    assert linked.link.issue_state == IssueState.OPEN


def test_a_repeated_close_changes_nothing_more(linked: Linked) -> None:
    body, headers = linked.close()
    assert linked.send(body, headers).json()["changed"] is True
    # Someone reopens the item in Hotwash; the tracker redelivers the old event.
    update_action_item(linked.item, actor=None, changes={"status": "in_progress"})
    again = linked.send(body, headers)
    assert again.status_code == 200
    assert again.json()["changed"] is False
    assert status_of(linked.item) == Status.IN_PROGRESS


def test_a_bad_signature_is_refused_and_changes_nothing(linked: Linked) -> None:
    linked.standin.close(linked.key)
    body, headers = linked.webhook("close", secret="not-the-secret")
    response = linked.send(body, headers)
    assert response.status_code == 401
    assert "secret" in response.json()["message"]
    assert status_of(linked.item) == Status.OPEN
    assert linked.link.issue_state == IssueState.OPEN


@pytest.mark.parametrize("kind", [TrackerKind.GITHUB, TrackerKind.JIRA])
def test_a_tampered_body_is_refused(kind: str, link_to: Callable[[str], Linked]) -> None:
    # (GitLab sends its secret as a token; it signs nothing.)
    linked = link_to(kind)
    body, headers = linked.close()
    tampered = body.replace(b'"closed"', b'"open"  ').replace(b'"Done"', b'"Dune"')
    assert tampered != body
    assert linked.send(tampered, headers).status_code == 401
    assert status_of(linked.item) == Status.OPEN


def test_an_unsigned_webhook_is_refused(linked: Linked) -> None:
    body, _headers = linked.close()
    response = linked.send(body, {})
    assert response.status_code == 401
    assert "header" in response.json()["message"]
    assert status_of(linked.item) == Status.OPEN


def test_an_unknown_issue_is_a_404_that_changes_nothing(linked: Linked) -> None:
    unknown = "OPS-999" if isinstance(linked.standin, JiraStandIn) else 999
    body, headers = linked.webhook("close", key=unknown)
    response = linked.send(body, headers)
    assert response.status_code == 404
    assert "No action item is linked" in response.json()["message"]
    assert status_of(linked.item) == Status.OPEN
    assert not AuditRecord.objects.filter(action="tracker.issue_closed").exists()


def test_an_unknown_tracker_is_a_404(linked: Linked) -> None:
    body, headers = linked.close()
    response = Client().post(
        "/api/v1/trackers/999999/webhook",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 404
    assert response.json()["message"] == "There is no tracker 999999."


def test_a_tracker_without_a_secret_accepts_no_webhooks(linked: Linked, monkeypatch: Any) -> None:
    monkeypatch.delenv(SECRET_ENV)
    response = linked.send(*linked.close())
    assert response.status_code == 401
    assert "no webhook secret" in response.json()["message"]
    assert status_of(linked.item) == Status.OPEN


def test_a_signed_body_that_is_not_json_is_refused(responder: Any, monkeypatch: Any) -> None:
    import hashlib
    import hmac

    with GitHubStandIn() as github:
        tracker = configure(monkeypatch, github)
        body = b"not json"
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = Client().post(
            f"/api/v1/trackers/{tracker.pk}/webhook",
            data=body,
            content_type="application/json",
            headers={"X-GitHub-Event": "issues", "X-Hub-Signature-256": signature},
        )
    assert response.status_code == 422
    assert response.json()["message"] == "The webhook's body is not JSON."


def test_github_events_other_than_close_and_reopen_are_ignored(
    link_to: Callable[[str], Linked],
) -> None:
    linked = link_to(TrackerKind.GITHUB)
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
    linked = link_to(TrackerKind.GITHUB)
    assert isinstance(linked.standin, GitHubStandIn)
    linked.standin.close(linked.key)
    body, headers = linked.standin.webhook(linked.key, "closed", SECRET, repository="acme/other")
    assert linked.send(body, headers).status_code == 404
    assert status_of(linked.item) == Status.OPEN


def test_a_gitlab_update_that_is_not_a_close_is_ignored(link_to: Callable[[str], Linked]) -> None:
    linked = link_to(TrackerKind.GITLAB)
    assert isinstance(linked.standin, GitLabStandIn)
    response = linked.send(*linked.webhook("update"))
    assert response.status_code == 200
    assert response.json()["changed"] is False
    other = linked.standin.webhook(linked.key, "close", SECRET, project_id=77)
    assert linked.send(*other).status_code == 404
    assert status_of(linked.item) == Status.OPEN


def test_a_jira_change_that_is_not_a_status_change_is_ignored(
    link_to: Callable[[str], Linked],
) -> None:
    linked = link_to(TrackerKind.JIRA)
    assert isinstance(linked.standin, JiraStandIn)
    linked.standin.close(linked.key)
    body, headers = linked.standin.webhook(linked.key, SECRET, status_change=False)
    response = linked.send(body, headers)
    assert response.status_code == 200
    assert response.json()["changed"] is False
    assert status_of(linked.item) == Status.OPEN


def test_the_webhook_needs_no_api_token_but_is_documented(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/trackers/{tracker_id}/webhook"]["post"]
    assert operation["security"] == [{"TrackerWebhookSignature": []}]
    scheme = schema["components"]["securitySchemes"]["TrackerWebhookSignature"]
    assert scheme["type"] == "apiKey" and "X-Gitlab-Token" in scheme["description"]
    assert "X-Hub-Signature-256" in operation["description"]
    assert "Webhooks" in operation["tags"]


def test_a_malformed_tracker_number_is_a_404(db: Any) -> None:
    response = Client().post(
        "/api/v1/trackers/abc/webhook", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["message"] == "There is no tracker abc."

"""Webhooks from GitHub, GitLab and Jira: signatures, close and reopen, and
requests that must change nothing. What only one tracker's webhooks do is
in tests/integrations/<tracker>/test_webhook.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.actions.models import Status
from hotwash.actions.services import update_action_item
from hotwash.core.models import AuditRecord
from hotwash.trackers.models import IssueState
from tests.integrations.github.standin import GitHubStandIn
from tests.integrations.jira.standin import JiraStandIn
from tests.support.trackers import SECRET, SECRET_ENV, Linked, configure, status_of

pytestmark = pytest.mark.django_db

KINDS = ["github", "gitlab", "jira"]


@pytest.fixture(params=KINDS)
def linked(request: Any, link_to: Callable[[str], Linked]) -> Linked:
    return link_to(request.param)


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


@pytest.mark.parametrize("kind", ["github", "jira"])
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


def test_a_tracker_without_a_secret_accepts_no_webhooks(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    response = linked.send(*linked.close())
    assert response.status_code == 401
    assert "no webhook secret" in response.json()["message"]
    assert status_of(linked.item) == Status.OPEN


def test_a_signed_body_that_is_not_json_is_refused(
    responder: User, monkeypatch: pytest.MonkeyPatch
) -> None:
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


def test_the_webhook_needs_no_api_token_but_is_documented(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/trackers/{tracker_id}/webhook"]["post"]
    assert operation["security"] == [{"TrackerWebhookSignature": []}]
    scheme = schema["components"]["securitySchemes"]["TrackerWebhookSignature"]
    assert scheme["type"] == "apiKey" and "X-Gitlab-Token" in scheme["description"]
    assert "X-Hub-Signature-256" in operation["description"]
    assert "Webhooks" in operation["tags"]


def test_a_malformed_tracker_number_is_a_404(db: None) -> None:
    response = Client().post(
        "/api/v1/trackers/abc/webhook", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["message"] == "There is no tracker abc."

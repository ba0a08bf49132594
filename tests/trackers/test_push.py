"""Pushing an action item to GitHub, GitLab and Jira stand-ins on loopback:
what is sent, retries with backoff, failures that stay visible, and no
duplicate issues."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from hotwash.actions.models import ActionItem
from hotwash.core.errors import Conflict, InvalidInput, NotFound
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import TimelineEvent, TimelineKind
from hotwash.teams.models import Team
from hotwash.trackers import services, tasks
from hotwash.trackers.models import ErrorKind, SyncState, TrackerLink
from hotwash.trackers.tasks import push_action_item
from tests.integrations.github.standin import GitHubStandIn
from tests.support.trackers import (
    TOKEN_ENV,
    configure,
    make_item,
    push,
    queued_runs,
    standin_for,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 3, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


# --- success (what each tracker is sent: tests/integrations/<tracker>/) ----------


def test_the_issue_is_written_in_the_trackers_language(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    configure(monkeypatch, github, team=team, language="fr")
    item = make_item(responder, team)
    tasks.attempt_push(push(item, responder, django_capture_on_commit_callbacks).pk)
    body = github.sent("POST")[0].body["body"]
    assert "/fr/action-items/" in body
    assert "Fermer ce ticket" in body


def test_a_private_incidents_title_is_not_sent(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    configure(monkeypatch, github, team=team)
    item = make_item(responder, team, private=True)
    tasks.attempt_push(push(item, responder, django_capture_on_commit_callbacks).pk)
    body = github.sent("POST")[0].body["body"]
    assert "Checkout fails for card payments" not in body
    assert item.incident is not None
    assert item.incident.ref in body


# --- retries and backoff -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "headers", "wait"),
    [
        (
            "github",
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(T0.timestamp()) + 900)},
            900,
        ),
        ("github", 429, {"Retry-After": "120"}, 120),
        ("gitlab", 429, {"RateLimit-Reset": str(int(T0.timestamp()) + 300)}, 300),
        (
            "jira",
            429,
            {"Retry-After": "45", "X-RateLimit-Reset": "2026-11-26T03:20:00Z"},
            45,
        ),
        ("jira", 429, {"X-RateLimit-Reset": "2026-11-26T03:20:00Z"}, 480),
    ],
    ids=[
        "github-403-reset",
        "github-retry-after",
        "gitlab-ratelimit-reset",
        "jira-retry-after",
        "jira-reset",
    ],
)
def test_a_rate_limit_is_honoured_then_the_push_succeeds(
    kind: str,
    status: int,
    headers: dict[str, str],
    wait: int,
    responder: User,
    team: Team,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with standin_for(kind) as standin:
        configure(monkeypatch, standin, team=team)
        item = make_item(responder, team)
        link = push(item, responder, django_capture_on_commit_callbacks)
        DBTaskResult.objects.all().delete()
        standin.fail_next(status, headers=headers, method="POST")

        with django_capture_on_commit_callbacks(execute=True):
            assert push_action_item.call(link.pk) == "retrying"
        link.refresh_from_db()
        due = T0 + timedelta(seconds=wait)
        assert (link.sync_state, link.error_kind, link.next_attempt_at) == (
            SyncState.PENDING,
            ErrorKind.RATE_LIMITED,
            due,
        )
        assert queued_runs() == [due]  # the next attempt waits in the queue

        # Too early (a stray duplicate task): nothing is sent.
        assert push_action_item.call(link.pk) == "skipped"
        clock.move_to(due)
        assert push_action_item.call(link.pk) == "created"

    link.refresh_from_db()
    assert link.sync_state == SyncState.SYNCED
    assert (link.attempts, link.error_kind, link.last_error) == (2, "", "")
    assert len(standin.issues) == 1


def test_outages_back_off_exponentially(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.TASK_RETRY_SECONDS = 30.0
    configure(monkeypatch, github, team=team)
    link = push(make_item(responder, team), responder, django_capture_on_commit_callbacks)
    github.fail_next(502, times=3, method="POST")
    waits = []
    for _attempt in range(3):
        before = datetime.now(UTC)
        assert tasks.attempt_push(link.pk) == "retrying"
        link.refresh_from_db()
        assert link.next_attempt_at is not None
        waits.append((link.next_attempt_at - before).total_seconds())
        clock.move_to(link.next_attempt_at)
    assert waits == [30, 60, 120]
    assert tasks.attempt_push(link.pk) == "created"


def test_a_lost_response_never_opens_a_second_issue(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    configure(monkeypatch, github, team=team)
    link = push(make_item(responder, team), responder, django_capture_on_commit_callbacks)
    github.drop_next_response("POST")  # GitHub creates the issue; the answer never arrives

    assert tasks.attempt_push(link.pk) == "retrying"
    link.refresh_from_db()
    assert link.error_kind == ErrorKind.UNAVAILABLE
    assert len(github.issues) == 1
    assert link.next_attempt_at is not None
    clock.move_to(link.next_attempt_at)

    assert tasks.attempt_push(link.pk) == "found"
    link.refresh_from_db()
    assert (link.sync_state, link.external_key) == (SyncState.SYNCED, "1")
    assert len(github.issues) == 1
    assert len(github.sent("POST")) == 1
    (search,) = github.sent("GET")
    assert search.query["state"] == ["all"]


@pytest.mark.parametrize("kind", ["gitlab", "jira"])
def test_a_lost_response_is_recovered_on_gitlab_and_jira_too(
    kind: str,
    responder: User,
    team: Team,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with standin_for(kind) as standin:
        configure(monkeypatch, standin, team=team)
        link = push(make_item(responder, team), responder, django_capture_on_commit_callbacks)
        standin.drop_next_response("POST")
        assert tasks.attempt_push(link.pk) == "retrying"
        link.refresh_from_db()
        assert link.next_attempt_at is not None
        clock.move_to(link.next_attempt_at)
        assert tasks.attempt_push(link.pk) == "found"
    assert len(standin.issues) == 1


# --- failures stay visible -----------------------------------------------------------


def test_a_refused_token_fails_at_once_and_shows_on_the_item_and_in_the_admin(
    responder: User,
    admin_user: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    configure(monkeypatch, github, team=team)
    monkeypatch.setenv(TOKEN_ENV, "revoked")
    item = make_item(responder, team)
    link = push(item, responder, django_capture_on_commit_callbacks)

    assert tasks.attempt_push(link.pk) == "failed"

    link.refresh_from_db()
    assert (link.sync_state, link.error_kind) == (SyncState.FAILED, ErrorKind.AUTH)
    assert "HTTP 401" in link.last_error and "Bad credentials" in link.last_error
    assert ActionItem.objects.filter(pk=item.pk).exists()  # the item is untouched
    assert AuditRecord.objects.filter(action="tracker.push_failed").count() == 1
    entry = TimelineEvent.objects.filter(kind=TimelineKind.ACTION_ITEM).last()
    assert entry is not None and entry.data["event"] == "tracker_failed"

    admin = Client()
    admin.force_login(admin_user)
    page = admin.get("/en/admin/trackers/trackerlink/?problem=failed")
    assert page.status_code == 200
    html = page.content.decode()
    assert item.ref in html
    assert "refused the token" in html


def test_it_gives_up_after_the_last_allowed_attempt(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.TASK_MAX_ATTEMPTS = 3
    configure(monkeypatch, github, team=team)
    link = push(make_item(responder, team), responder, django_capture_on_commit_callbacks)
    github.fail_next(503, times=5, method="POST")
    outcomes = []
    for _attempt in range(3):
        outcomes.append(tasks.attempt_push(link.pk))
        link.refresh_from_db()
        if link.next_attempt_at:
            clock.move_to(link.next_attempt_at)
    assert outcomes == ["retrying", "retrying", "failed"]
    assert (link.sync_state, link.error_kind, link.attempts) == (
        SyncState.FAILED,
        ErrorKind.UNAVAILABLE,
        3,
    )
    assert link.next_attempt_at is None


def test_a_missing_token_is_a_clear_failure(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    configure(monkeypatch, github, team=team)
    monkeypatch.delenv(TOKEN_ENV)
    link = push(make_item(responder, team), responder, django_capture_on_commit_callbacks)
    assert tasks.attempt_push(link.pk) == "failed"
    link.refresh_from_db()
    assert link.error_kind == ErrorKind.CREDENTIALS
    assert f"environment variable {TOKEN_ENV} is not set" in link.last_error
    assert github.requests == []


def test_a_token_can_come_from_a_secret_file(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.TRACKER_SECRET_DIRS = [str(tmp_path)]
    secret = tmp_path / "github-token"
    secret.write_text("gh-token\n")
    configure(monkeypatch, github, team=team, token_env="", token_file=str(secret))
    link = push(make_item(responder, team), responder, django_capture_on_commit_callbacks)
    assert tasks.attempt_push(link.pk) == "created"


def test_retrying_a_failed_push_finds_the_issue_an_earlier_attempt_made(
    responder: User,
    admin_user: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.TASK_MAX_ATTEMPTS = 1
    configure(monkeypatch, github, team=team)
    link = push(make_item(responder, team), responder, django_capture_on_commit_callbacks)
    github.drop_next_response("POST")
    assert tasks.attempt_push(link.pk) == "failed"
    DBTaskResult.objects.all().delete()

    # The admin's retry action on the failed-sync view.
    admin = Client()
    admin.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/en/admin/trackers/trackerlink/",
            {"action": "retry", "_selected_action": [link.pk]},
        )
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.sync_state, link.attempts, link.error_kind) == (SyncState.PENDING, 0, "")
    assert queued_runs() == [None]
    assert AuditRecord.objects.filter(action="tracker.push_retried", actor=admin_user).exists()

    clock.shift(timedelta(minutes=1))
    assert push_action_item.call(link.pk) == "found"
    assert len(github.issues) == 1


def test_the_sweep_re_enqueues_a_push_whose_task_was_lost(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
) -> None:
    configure(monkeypatch, github, team=team)
    # No on_commit capture: the enqueue after commit never happens, as if
    # the process died between the commit and the enqueue.
    link = services.request_push(make_item(responder, team), actor=responder)
    assert queued_runs() == []
    assert services.sweep_stalled_pushes(datetime.now(UTC)) == 0  # not late yet
    clock.shift(timedelta(minutes=5))
    assert services.sync_all(datetime.now(UTC))["swept"] == 1
    assert queued_runs() == [None]
    assert push_action_item.call(link.pk) == "created"


def test_a_push_claimed_by_one_worker_is_not_run_by_another(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    configure(monkeypatch, github, team=team)
    link = push(make_item(responder, team), responder, django_capture_on_commit_callbacks)
    now = datetime.now(UTC)
    assert tasks._claim(link.pk, now) is not None
    assert tasks.attempt_push(link.pk) == "skipped"
    assert github.requests == []


# --- asking for a push: rules ----------------------------------------------------------


def test_pushing_twice_while_pending_changes_nothing_and_a_linked_item_conflicts(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    configure(monkeypatch, github, team=team)
    item = make_item(responder, team)
    first = push(item, responder, django_capture_on_commit_callbacks)
    again = push(item, responder, django_capture_on_commit_callbacks)
    assert first.pk == again.pk
    assert TrackerLink.objects.count() == 1
    tasks.attempt_push(first.pk)
    with pytest.raises(Conflict, match="already linked"):
        services.request_push(item, actor=responder)


def test_an_item_without_a_team_tracker_cannot_be_pushed(responder: User, team: Team) -> None:
    item = make_item(responder, team)
    with pytest.raises(InvalidInput, match="no team with a tracker") as error:
        services.request_push(item, actor=responder)
    assert error.value.field == "team"
    assert TrackerLink.objects.count() == 0


def test_a_viewer_cannot_push_and_an_outsider_cannot_see_a_private_item(
    responder: User,
    other_responder: User,
    viewer: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(monkeypatch, github, team=team)
    item = make_item(responder, team, private=True)
    with pytest.raises(NotFound):
        services.request_push(item, actor=other_responder)
    public = make_item(responder, team)
    with pytest.raises(Exception, match="Only responders"):
        services.request_push(public, actor=viewer)
    assert TrackerLink.objects.count() == 0


# --- the API and the page --------------------------------------------------------------


def test_the_api_pushes_and_answers_202(
    api: Client,
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    configure(monkeypatch, github, team=team)
    item = make_item(responder, team)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/action-items/{item.ref}/push")
    assert response.status_code == 202, response.content
    data = response.json()
    assert data["item"] == item.ref
    assert data["tracker"] == "github"
    assert data["sync_state"] == "pending"
    assert data["error"] == ""
    assert queued_runs() == [None]

    tasks.attempt_push(TrackerLink.objects.get().pk)
    conflict = api.post(f"/api/v1/action-items/{item.ref}/push")
    assert conflict.status_code == 409
    assert "already linked" in conflict.json()["message"]


def test_the_api_explains_a_missing_tracker_and_hides_private_items(
    api: Client,
    responder: User,
    other_responder: User,
    team: Team,
) -> None:
    item = make_item(responder, team)
    response = api.post(f"/api/v1/action-items/{item.ref}/push")
    assert response.status_code == 422
    assert response.json()["field"] == "team"
    hidden = make_item(other_responder, team, private=True)
    assert api.post(f"/api/v1/action-items/{hidden.ref}/push").status_code == 404
    assert api.post("/api/v1/action-items/AI-999999/push").status_code == 404


def test_the_item_page_panel_shows_the_button_then_the_link_then_a_failure(
    responder: User,
    responder_client: Client,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    rf: RequestFactory,
) -> None:
    from django.template.loader import render_to_string

    configure(monkeypatch, github, team=team)
    item = make_item(responder, team)
    assert item.incident is not None
    request = rf.get("/en/action-items/")
    request.user = responder

    html = render_to_string("trackers/_item_tracker.html", {"item": item, "request": request})
    assert "Push to GitHub Issues" in html
    assert f'action="/en/trackers/items/{item.ref}/push/"' in html

    with django_capture_on_commit_callbacks(execute=True):
        response = responder_client.post(
            f"/en/trackers/items/{item.ref}/push/", {"next": f"/en/incidents/{item.incident.ref}/"}
        )
    assert response.status_code == 302
    assert response["Location"] == f"/en/incidents/{item.incident.ref}/#tracker"
    assert queued_runs() == [None]

    html = render_to_string("trackers/_item_tracker.html", {"item": item, "request": request})
    assert "Waiting to be sent to GitHub Issues." in html

    tasks.attempt_push(TrackerLink.objects.get().pk)
    html = render_to_string("trackers/_item_tracker.html", {"item": item, "request": request})
    assert 'href="https://github.example/acme/payments/issues/1"' in html
    assert "acme/payments#1" in html

    TrackerLink.objects.update(
        sync_state=SyncState.FAILED,
        error_kind=ErrorKind.NOT_FOUND,
        last_error="HTTP 404",
        attempts=1,
    )
    html = render_to_string("trackers/_item_tracker.html", {"item": item, "request": request})
    assert "does not know this project" in html
    assert "HTTP 404" in html
    assert "Try sending to GitHub Issues again" in html


def test_the_panel_is_in_french_for_french_readers(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    rf: RequestFactory,
) -> None:
    from django.template.loader import render_to_string
    from django.utils import translation

    configure(monkeypatch, github, team=team)
    item = make_item(responder, team)
    request = rf.get("/fr/action-items/")
    request.user = responder
    with translation.override("fr"):
        html = render_to_string("trackers/_item_tracker.html", {"item": item, "request": request})
    assert "Envoyer vers GitHub Issues" in html


def test_a_get_of_the_push_address_changes_nothing(
    responder: User,
    responder_client: Client,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(monkeypatch, github, team=team)
    item = make_item(responder, team)
    response = responder_client.get(f"/en/trackers/items/{item.ref}/push/")
    assert response.status_code == 302
    assert TrackerLink.objects.count() == 0


def test_the_push_page_refuses_an_unsafe_next_address(
    responder: User,
    responder_client: Client,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(monkeypatch, github, team=team)
    item = make_item(responder, team)
    response = responder_client.post(
        f"/en/trackers/items/{item.ref}/push/", {"next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_an_answer_that_cannot_be_read_is_retried_and_bounded(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.TASK_MAX_ATTEMPTS = 2
    configure(monkeypatch, github, team=team)
    link = push(make_item(responder, team), responder, django_capture_on_commit_callbacks)
    github.fail_next(201, body={"unexpected": True}, times=2, method="POST")
    assert tasks.attempt_push(link.pk) == "retrying"
    link.refresh_from_db()
    assert link.error_kind == ErrorKind.UNEXPECTED
    assert "KeyError" in link.last_error
    assert link.next_attempt_at is not None
    clock.move_to(link.next_attempt_at)
    assert tasks.attempt_push(link.pk) == "failed"

"""Two-way sync: edits of an item already pushed (title, due date, owner,
done or reopened) reach its issue on the GitHub, GitLab and Jira stand-ins;
a change that came from the tracker is not sent back; a team can have new
items pushed at once; a tracker that is down is retried, and shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from hotwash.actions.models import Status
from hotwash.actions.services import set_status, update_action_item
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import TimelineEvent, TimelineKind
from hotwash.teams.models import Team
from hotwash.trackers import services, tasks
from hotwash.trackers.display import describe_state
from hotwash.trackers.models import (
    ErrorKind,
    IssueState,
    SyncState,
    TrackerAccount,
    TrackerLink,
    UpdateState,
)
from tests.integrations.github.standin import GitHubStandIn
from tests.integrations.gitlab.standin import GitLabStandIn
from tests.integrations.jira.standin import OFFERED
from tests.support.trackers import (
    TASK_PATH,
    Linked,
    configure,
    make_item,
    queued_runs,
    status_of,
)

pytestmark = pytest.mark.django_db

KINDS = ["github", "gitlab", "jira"]
# Someone the stand-ins know, as each tracker names people.
ACCOUNTS = {"github": "octocat", "gitlab": "7", "jira": "5b10ac8d82e05b22cc7d4ef5"}
UPDATE_TASK = "hotwash.trackers.tasks.update_tracker_issue"


@pytest.fixture(params=KINDS)
def linked(request: Any, link_to: Callable[[str], Linked]) -> Linked:
    return link_to(request.param)


def kind_of(linked: Linked) -> str:
    return linked.tracker.kind


def issue(linked: Linked) -> dict[str, Any]:
    """The issue as the stand-in holds it, in the same words for all three."""
    standin = linked.standin
    key = linked.key
    if isinstance(standin, GitHubStandIn):
        data = standin.issues[key]
        labels = standin.labels_of(key)
        return {
            "title": data["title"],
            "closed": data["state"] == "closed",
            "due": next((label[4:] for label in labels if label.startswith("due:")), None),
            "assignee": [person["login"] for person in data["assignees"]],
            "labels": labels,
            "body": data["body"],
        }
    if isinstance(standin, GitLabStandIn):
        data = standin.issues[key]
        return {
            "title": data["title"],
            "closed": data["state"] == "closed",
            "due": data["due_date"],
            "assignee": [str(person["id"]) for person in data["assignees"]],
            "labels": data["labels"],
            "body": data["description"],
        }
    fields = standin.issues[key]["fields"]
    assignee = fields.get("assignee")
    return {
        "title": fields["summary"],
        "closed": fields["status"]["statusCategory"]["key"] == "done",
        "due": fields.get("duedate"),
        "assignee": [assignee["accountId"]] if assignee else [],
        "labels": fields.get("labels", []),
        "body": str(fields.get("description")),
    }


def writes(linked: Linked) -> list[str]:
    """The calls that change an issue, made since the item was pushed."""
    return [
        f"{request.method} {request.path}"
        for request in linked.standin.requests
        if request.method in ("PATCH", "PUT") or request.path.endswith("/transitions")
    ]


def link_of(linked: Linked) -> TrackerLink:
    return TrackerLink.objects.get(item=linked.item)


# --- edits reach the issue ---------------------------------------------------------


def test_an_edit_after_the_push_reaches_the_issue(
    linked: Linked, responder: User, other_responder: User
) -> None:
    TrackerAccount.objects.create(
        tracker=linked.tracker, user=other_responder, account=ACCOUNTS[kind_of(linked)]
    )
    old_due = linked.item.due_on
    assert old_due is not None
    new_due = old_due + timedelta(days=30)
    update_action_item(
        linked.item,
        actor=responder,
        changes={"title": "Alert on card declines", "due": new_due, "owner": other_responder},
    )
    assert link_of(linked).update_state == UpdateState.PENDING

    assert tasks.attempt_update(link_of(linked).pk) == "updated"

    remote = issue(linked)
    assert remote["title"] == f"Alert on card declines ({linked.item.ref})"
    assert remote["due"] == new_due.isoformat()
    assert remote["assignee"] == [ACCOUNTS[kind_of(linked)]]
    assert f"due:{new_due.isoformat()}" in remote["labels"]
    assert f"due:{old_due.isoformat()}" not in remote["labels"]
    assert "Sam" in remote["body"]  # the description names the new owner
    assert remote["closed"] is False
    link = link_of(linked)
    assert (link.update_state, link.error_kind) == (UpdateState.NONE, ErrorKind.NONE)
    assert (link.synced_title, link.synced_due_on) == ("Alert on card declines", new_due)
    record = AuditRecord.objects.get(action="tracker.updated")
    assert record.changes["fields"] == ["title", "due", "owner"]
    # In step: nothing more to send.
    assert tasks.attempt_update(link.pk) == "skipped"


def test_only_what_changed_is_sent_and_labels_people_added_stay(
    link_to: Callable[[str], Linked], responder: User
) -> None:
    linked = link_to("github")
    github = linked.standin
    assert isinstance(github, GitHubStandIn)
    github.issues[linked.key]["labels"].append({"name": "team:checkout"})
    update_action_item(linked.item, actor=responder, changes={"title": "Alert on declines"})
    assert tasks.attempt_update(link_of(linked).pk) == "updated"
    patch = github.sent("PATCH")[-1].body
    assert patch == {"title": f"Alert on declines ({linked.item.ref})"}

    due = linked.item.due_on
    assert due is not None
    update_action_item(linked.item, actor=responder, changes={"due": due + timedelta(days=1)})
    assert tasks.attempt_update(link_of(linked).pk) == "updated"
    assert "team:checkout" in github.labels_of(linked.key)
    assert github.sent("PATCH")[-1].body.keys() == {"body", "labels"}


def test_an_owner_without_a_tracker_account_leaves_the_issue_unassigned(
    linked: Linked, responder: User, other_responder: User
) -> None:
    TrackerAccount.objects.create(
        tracker=linked.tracker, user=responder, account=ACCOUNTS[kind_of(linked)]
    )
    update_action_item(linked.item, actor=responder, changes={"owner": other_responder})
    assert tasks.attempt_update(link_of(linked).pk) == "updated"
    assert issue(linked)["assignee"] == []
    update_action_item(linked.item, actor=responder, changes={"owner": responder})
    assert tasks.attempt_update(link_of(linked).pk) == "updated"
    assert issue(linked)["assignee"] == [ACCOUNTS[kind_of(linked)]]


def test_completing_the_item_closes_the_issue_and_reopening_reopens_it(
    linked: Linked, responder: User
) -> None:
    set_status(linked.item, actor=responder, status="done")
    assert tasks.attempt_update(link_of(linked).pk) == "updated"
    assert issue(linked)["closed"] is True
    assert link_of(linked).issue_state == IssueState.CLOSED

    set_status(linked.item, actor=responder, status="open")
    assert tasks.attempt_update(link_of(linked).pk) == "updated"
    assert issue(linked)["closed"] is False
    assert link_of(linked).issue_state == IssueState.OPEN


def test_wont_do_closes_a_github_issue_as_not_planned(
    link_to: Callable[[str], Linked], responder: User
) -> None:
    linked = link_to("github")
    set_status(linked.item, actor=responder, status="wont_do", reason="Replaced by AI-9.")
    assert tasks.attempt_update(link_of(linked).pk) == "updated"
    assert linked.standin.sent("PATCH")[-1].body == {
        "state": "closed",
        "state_reason": "not_planned",
    }


def test_in_progress_is_still_open_and_sends_nothing(linked: Linked, responder: User) -> None:
    set_status(linked.item, actor=responder, status="in_progress")
    assert link_of(linked).update_state == UpdateState.NONE
    assert writes(linked) == []


def test_an_item_edited_while_its_issue_was_being_created_is_sent_after(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(monkeypatch, github, team=team)
    item = make_item(responder, team)
    link = services.request_push(item, actor=responder)
    set_status(item, actor=responder, status="done")  # before the worker ran
    assert tasks.attempt_push(link.pk) == "created"
    link.refresh_from_db()
    assert link.update_state == UpdateState.PENDING
    assert tasks.attempt_update(link.pk) == "updated"
    assert github.issues[1]["state"] == "closed"


# --- what came from the tracker is not sent back -----------------------------------


def test_a_close_from_the_trackers_webhook_is_not_sent_back(linked: Linked) -> None:
    response = linked.send(*linked.close())
    assert response.status_code == 200 and response.json()["changed"] is True
    assert status_of(linked.item) == Status.DONE
    assert link_of(linked).update_state == UpdateState.NONE
    assert tasks.attempt_update(link_of(linked).pk) == "skipped"

    assert linked.send(*linked.reopen()).json()["status"] == "open"
    assert link_of(linked).update_state == UpdateState.NONE
    assert not DBTaskResult.objects.filter(task_path=UPDATE_TASK).exists()
    assert writes(linked) == []


def test_a_close_found_by_the_poll_is_not_sent_back(linked: Linked) -> None:
    linked.standin.close(linked.key)
    result = services.poll_tracker(linked.tracker, timezone.now())
    assert result.changed == 1
    assert status_of(linked.item) == Status.DONE
    assert link_of(linked).update_state == UpdateState.NONE
    assert writes(linked) == []


def test_edits_on_both_sides_at_once_settle_without_a_loop(linked: Linked, responder: User) -> None:
    # Hotwash renames the item; before the worker sends it, someone closes
    # the issue in the tracker.
    update_action_item(linked.item, actor=responder, changes={"title": "Alert on declines"})
    linked.send(*linked.close())
    assert status_of(linked.item) == Status.DONE
    assert tasks.attempt_update(link_of(linked).pk) == "updated"
    remote = issue(linked)
    assert remote["title"] == f"Alert on declines ({linked.item.ref})"
    assert remote["closed"] is True
    # The tracker's own webhook for that change changes nothing more.
    again = linked.send(*linked.webhook("close"))
    assert again.json()["changed"] is False
    assert link_of(linked).update_state == UpdateState.NONE

    # Both sides complete it at once: nothing left to send.
    set_status(linked.item, actor=responder, status="open")
    linked.send(*linked.reopen())
    assert tasks.attempt_update(link_of(linked).pk) in ("unchanged", "skipped")
    assert link_of(linked).update_state == UpdateState.NONE


def test_a_change_made_during_an_attempt_is_sent_by_the_next_one(
    link_to: Callable[[str], Linked], responder: User
) -> None:
    linked = link_to("gitlab")
    update_action_item(linked.item, actor=responder, changes={"title": "First"})
    link = link_of(linked)
    # An attempt claimed the link and read the item; while its call is
    # under way, a second edit comes; then the call's answer is recorded.
    claimed = tasks._claim_update(link.pk, timezone.now())
    assert claimed is not None
    change = tasks.build_change(claimed, claimed.item)
    update_action_item(linked.item, actor=responder, changes={"title": "Second"})
    tasks._record_update_success(
        claimed, claimed.item, change, None, claimed.update_version, None, timezone.now()
    )
    link.refresh_from_db()
    assert (link.update_state, link.synced_title) == (UpdateState.PENDING, "First")
    assert tasks.attempt_update(link.pk) == "updated"
    assert linked.standin.issues[linked.key]["title"] == f"Second ({linked.item.ref})"
    assert link_of(linked).update_state == UpdateState.NONE


# --- the team's setting ---------------------------------------------------------------


def test_a_team_can_have_new_items_pushed_at_once(
    responder: User,
    team: Team,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    team.push_new_action_items = True
    team.save()
    configure(monkeypatch, github, team=team)
    with django_capture_on_commit_callbacks(execute=True):
        item = make_item(responder, team)
    link = TrackerLink.objects.get(item=item)
    assert (link.sync_state, link.created_by) == (SyncState.PENDING, None)
    assert queued_runs() == [None]
    requested = AuditRecord.objects.get(action="tracker.push_requested")
    assert requested.actor is None
    assert tasks.attempt_push(link.pk) == "created"
    assert github.issues[1]["title"] == f"Alert on card payment errors ({item.ref})"


def test_new_items_are_not_pushed_unless_the_team_asks(
    responder: User, team: Team, github: GitHubStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Team(name="New", slug="new").push_new_action_items is False
    configure(monkeypatch, github, team=team)
    make_item(responder, team)
    assert not TrackerLink.objects.exists()
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()


def test_the_setting_is_on_the_teams_admin_page(admin_user: User, team: Team) -> None:
    admin = Client()
    admin.force_login(admin_user)
    page = admin.get(f"/en/admin/teams/team/{team.pk}/change/")
    assert page.status_code == 200
    assert 'name="push_new_action_items"' in page.content.decode()
    french = admin.get(f"/fr/admin/teams/team/{team.pk}/change/").content.decode()
    assert "Envoyer les nouvelles actions au gestionnaire de tickets" in french


# --- a tracker that is down ---------------------------------------------------------


def test_a_tracker_that_is_down_is_retried_and_shown(
    link_to: Callable[[str], Linked],
    responder: User,
    settings: Settings,
    rf: RequestFactory,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.TASK_RETRY_SECONDS = 60.0
    linked = link_to("github")
    linked.standin.fail_next(503, times=1, method="PATCH")
    with django_capture_on_commit_callbacks(execute=True):
        set_status(linked.item, actor=responder, status="done")
    assert DBTaskResult.objects.filter(task_path=UPDATE_TASK).count() == 1

    with time_machine.travel(timezone.now(), tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.attempt_update(link_of(linked).pk) == "retrying"
        link = link_of(linked)
        assert (link.update_state, link.error_kind) == (UpdateState.PENDING, ErrorKind.UNAVAILABLE)
        assert link.next_attempt_at is not None
        assert (link.next_attempt_at - timezone.now()).total_seconds() == 60
        retry = DBTaskResult.objects.filter(task_path=UPDATE_TASK).order_by("-enqueued_at")[0]
        assert retry.run_after == link.next_attempt_at
        assert "Hotwash will try again" in describe_state(link)
        request = rf.get("/en/action-items/")
        request.user = responder
        html = render_to_string(
            "trackers/_item_tracker.html", {"item": linked.item, "request": request}
        )
        assert "could not be reached" in html
        assert "HTTP 503" in html
        assert "Next attempt:" in html

        assert tasks.attempt_update(link.pk) == "skipped"  # not due yet
        clock.move_to(link.next_attempt_at)
        assert tasks.attempt_update(link.pk) == "updated"
    assert issue(linked)["closed"] is True
    assert link_of(linked).update_state == UpdateState.NONE
    assert link_of(linked).error_kind == ErrorKind.NONE


def test_changes_that_keep_failing_are_shown_and_can_be_retried(
    link_to: Callable[[str], Linked],
    responder: User,
    admin_user: User,
    api: Client,
    settings: Settings,
    rf: RequestFactory,
) -> None:
    settings.TASK_MAX_ATTEMPTS = 2
    linked = link_to("jira")
    linked.standin.fail_next(502, times=2, method="PUT")
    update_action_item(linked.item, actor=responder, changes={"title": "Alert on declines"})
    link = link_of(linked)
    assert tasks.attempt_update(link.pk) == "retrying"
    TrackerLink.objects.filter(pk=link.pk).update(next_attempt_at=timezone.now())
    assert tasks.attempt_update(link.pk) == "failed"

    link = link_of(linked)
    assert (link.sync_state, link.update_state) == (SyncState.SYNCED, UpdateState.FAILED)
    assert "failed after 2 attempts" in describe_state(link)
    assert AuditRecord.objects.filter(action="tracker.update_failed").count() == 1
    entry = TimelineEvent.objects.filter(kind=TimelineKind.ACTION_ITEM).last()
    assert entry is not None and entry.data["event"] == "tracker_failed"
    request = rf.get("/en/action-items/")
    request.user = responder
    html = render_to_string(
        "trackers/_item_tracker.html", {"item": linked.item, "request": request}
    )
    assert "Try sending to Jira again" in html

    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get("/en/admin/trackers/trackerlink/?problem=failed").content.decode()
    assert linked.item.ref in listing

    response = api.post(f"/api/v1/action-items/{linked.item.ref}/push")
    assert response.status_code == 202, response.content
    assert (response.json()["sync_state"], response.json()["update_state"]) == (
        "synced",
        "pending",
    )
    assert tasks.attempt_update(link.pk) == "updated"
    assert issue(linked)["title"] == f"Alert on declines ({linked.item.ref})"


def test_a_lost_update_task_is_queued_again_by_the_sweep(linked: Linked, responder: User) -> None:
    update_action_item(linked.item, actor=responder, changes={"title": "Alert on declines"})
    later = timezone.now() + services.SWEEP_GRACE + timedelta(seconds=1)
    assert services.sweep_stalled_pushes(later) == 1
    assert DBTaskResult.objects.filter(task_path=UPDATE_TASK).count() == 1


def test_a_jira_workflow_without_a_way_to_done_is_a_clear_failure(
    link_to: Callable[[str], Linked], responder: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    linked = link_to("jira")
    monkeypatch.setitem(OFFERED, "To Do", ["21"])  # this workflow goes through In Progress
    set_status(linked.item, actor=responder, status="done")
    assert tasks.attempt_update(link_of(linked).pk) == "failed"
    link = link_of(linked)
    assert link.error_kind == ErrorKind.REJECTED
    assert "no transition into the Done category" in link.last_error


def test_a_due_date_sent_is_kept_as_a_date(linked: Linked, responder: User) -> None:
    update_action_item(linked.item, actor=responder, changes={"due": date(2027, 3, 1)})
    assert tasks.attempt_update(link_of(linked).pk) == "updated"
    assert issue(linked)["due"] == "2027-03-01"

"""Hotwash-side setup shared by the tracker tests (tests/trackers/
and tests/integrations/<tracker>/): a team whose tracker is one of the
stand-ins, an action item of that team, pushes and webhooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks

from hotwash.actions.models import ActionItem
from hotwash.actions.services import create_action_item
from hotwash.incidents.services import declare_incident
from hotwash.teams.models import Team
from hotwash.trackers import services, tasks
from hotwash.trackers.models import AuthMethod, TrackerConfig, TrackerLink
from tests.integrations.github.standin import GitHubStandIn
from tests.integrations.gitlab.standin import GitLabStandIn
from tests.integrations.jira.standin import JiraStandIn

TOKEN_ENV = "HOTWASH_SECRET_TEST_TRACKER_TOKEN"
SECRET_ENV = "HOTWASH_SECRET_TEST_TRACKER_WEBHOOK"
SECRET = "webhook-secret-for-tests"

StandInAny = GitHubStandIn | GitLabStandIn | JiraStandIn


def standin_for(kind: str, **options: Any) -> StandInAny:
    if kind == "github":
        return GitHubStandIn(**options)
    if kind == "gitlab":
        return GitLabStandIn(**options)
    return JiraStandIn(**options)


def configure(
    monkeypatch: pytest.MonkeyPatch, standin: StandInAny, *, team: Team | None = None, **fields: Any
) -> TrackerConfig:
    """A tracker pointing at `standin`, its token and secret in the environment."""
    team = team or Team.objects.create(name="Payments", slug="payments")
    monkeypatch.setenv(TOKEN_ENV, standin.token)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    if isinstance(standin, GitHubStandIn):
        values: dict[str, Any] = {"kind": "github", "project": standin.repository}
    elif isinstance(standin, GitLabStandIn):
        values = {"kind": "gitlab", "project": standin.path}
    else:
        values = {
            "kind": "jira",
            "project": standin.project,
            "auth_method": AuthMethod.TOKEN if standin.bearer else AuthMethod.BASIC,
            "username": "" if standin.bearer else standin.email,
        }
    values.update(
        team=team,
        base_url=standin.url,
        token_env=TOKEN_ENV,
        webhook_secret_env=SECRET_ENV,
    )
    values.update(fields)
    tracker = TrackerConfig(**values)
    tracker.full_clean()
    tracker.save()
    return tracker


def make_item(actor: User, team: Team, *, private: bool = False, **fields: Any) -> ActionItem:
    incident = declare_incident(
        actor=actor, title="Checkout fails for card payments", severity=2, private=private
    )
    fields.setdefault("owner", actor)
    return create_action_item(
        actor=actor,
        title="Alert on card payment errors",
        incident=incident,
        team=team,
        description="Page the on-call when card payments fail above 2% for 5 minutes.",
        priority="high",
        kind="detect",
        **fields,
    )


def status_of(item: ActionItem) -> str:
    return ActionItem.objects.get(pk=item.pk).status


# --- pushing ------------------------------------------------------------------------

TASK_PATH = "hotwash.trackers.tasks.push_action_item"


def queued_runs() -> list[datetime | None]:
    """When the queued pushes may run (None: at once), oldest first."""
    rows = DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").order_by("enqueued_at")
    return [row.run_after if row.run_after.year < 9999 else None for row in rows]


def push(item: ActionItem, actor: User, capture: DjangoCaptureOnCommitCallbacks) -> TrackerLink:
    """Ask for a push, running the on-commit enqueue (`capture` is
    pytest-django's django_capture_on_commit_callbacks)."""
    with capture(execute=True):
        return services.request_push(item, actor=actor)


def linked_items(
    responder: User, standin: StandInAny, monkeypatch: pytest.MonkeyPatch, count: int
) -> tuple[TrackerConfig, list[ActionItem]]:
    """A team tracker on `standin` and `count` items pushed to it."""
    team = Team.objects.create(name="Payments", slug="payments")
    tracker = configure(monkeypatch, standin, team=team)
    items = [make_item(responder, team) for _ in range(count)]
    for item in items:
        link = services.request_push(item, actor=responder)
        assert tasks.attempt_push(link.pk) == "created"
    return tracker, items


# --- webhooks -----------------------------------------------------------------------


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


@contextmanager
def linker(responder: User, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Linked]]:
    """Make a stand-in of a kind, a team tracker for it, and an item linked
    there; the stand-ins stop when the block ends."""
    with ExitStack() as stack:

        def make(kind: str) -> Linked:
            # enter_context joins the union's members to their base, StandIn.
            standin = cast(StandInAny, stack.enter_context(standin_for(kind)))
            team = Team.objects.create(name=f"Payments {kind}", slug=f"payments-{kind}")
            tracker = configure(monkeypatch, standin, team=team)
            item = make_item(responder, team)
            link = services.request_push(item, actor=responder)
            assert tasks.attempt_push(link.pk) == "created"
            return Linked(standin, tracker, item)

        yield make

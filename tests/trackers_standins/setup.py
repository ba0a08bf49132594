"""Hotwash-side setup shared by the tracker tests: a team whose tracker is
one of the stand-ins, and an action item of that team."""

from __future__ import annotations

from typing import Any

import pytest

from hotwash.actions.models import ActionItem
from hotwash.actions.services import create_action_item
from hotwash.incidents.services import declare_incident
from hotwash.teams.models import Team
from hotwash.trackers.models import AuthMethod, TrackerConfig, TrackerKind
from tests.trackers_standins.github import GitHubStandIn
from tests.trackers_standins.gitlab import GitLabStandIn
from tests.trackers_standins.jira import JiraStandIn

TOKEN_ENV = "HOTWASH_SECRET_TEST_TRACKER_TOKEN"
SECRET_ENV = "HOTWASH_SECRET_TEST_TRACKER_WEBHOOK"
SECRET = "webhook-secret-for-tests"

StandInAny = GitHubStandIn | GitLabStandIn | JiraStandIn


def standin_for(kind: str, **options: Any) -> StandInAny:
    if kind == TrackerKind.GITHUB:
        return GitHubStandIn(**options)
    if kind == TrackerKind.GITLAB:
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
        values: dict[str, Any] = {"kind": TrackerKind.GITHUB, "project": standin.repository}
    elif isinstance(standin, GitLabStandIn):
        values = {"kind": TrackerKind.GITLAB, "project": standin.path}
    else:
        values = {
            "kind": TrackerKind.JIRA,
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


def make_item(actor: Any, team: Team, *, private: bool = False, **fields: Any) -> ActionItem:
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

"""The demo data: the variety it promises. (The command: tests/cli/test_demo.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import models
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from hotwash.accounts.models import Role
from hotwash.core.models import AuditRecord
from hotwash.demo.load import DEMO_PASSWORD, DEMO_USERS, TEAM_AGE
from hotwash.incidents.models import (
    DetectionSource,
    Incident,
    Severity,
    Status,
    Task,
    TaskStatus,
    TimelineEvent,
)
from hotwash.incidents.queries import build_catchup, visible_incidents

pytestmark = pytest.mark.django_db


def demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def loading(
    django_db_setup: Any, django_db_blocker: DjangoDbBlocker
) -> Iterator[tuple[datetime, str]]:
    """The demo, loaded once for this module's read-only tests (each test
    runs in a transaction that is rolled back), and flushed afterwards; with
    the time loading started."""
    with django_db_blocker.unblock():
        started = timezone.now()
        output = demo()
    yield started, output
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def loaded(loading: tuple[datetime, str]) -> str:
    """What `hotwash demo` printed."""
    return loading[1]


def test_it_loads_every_severity_and_status(loaded: str) -> None:
    incidents = Incident.objects.all()
    assert incidents.count() >= 12
    assert set(incidents.values_list("severity", flat=True)) == set(Severity.values)
    assert set(incidents.values_list("status", flat=True)) == set(Status.values)


def test_it_gives_every_incident_a_timeline_beyond_its_declaration(loaded: str) -> None:
    for incident in Incident.objects.all():
        kinds = set(incident.timeline.values_list("kind", flat=True))
        assert "declared" in kinds
        assert kinds & {"note", "decision"}, incident.title


def test_it_tells_stories_with_decisions_key_moments_and_hand_overs(loaded: str) -> None:
    events = TimelineEvent.objects.all()
    assert events.filter(kind="decision").exists()
    assert events.filter(kind="note", key_moment=True).exists()
    assert events.filter(body__contains="Rolled back 4.2").exists()
    handovers = events.filter(kind="role").exclude(data__from=None)
    assert handovers.exists()
    assert events.filter(kind="severity").exists()


def test_it_includes_a_private_incident_that_only_participants_and_admins_see(
    loaded: str,
) -> None:
    secret = Incident.objects.get(private=True)
    assert secret in visible_incidents(User.objects.get(username="amira"))
    assert secret in visible_incidents(User.objects.get(username="admin"))
    assert secret not in visible_incidents(User.objects.get(username="sam"))
    assert secret not in visible_incidents(User.objects.get(username="victor"))


def test_it_includes_an_incident_found_by_a_customer(loaded: str) -> None:
    assert Incident.objects.filter(detection_source=DetectionSource.CUSTOMER).exists()


def test_it_spreads_incidents_over_two_months_and_never_into_the_future(loaded: str) -> None:
    now = timezone.now()
    declared = list(Incident.objects.values_list("declared_at", flat=True))
    assert min(declared) < now - timedelta(days=45)
    assert max(declared) > now - timedelta(hours=1)
    assert min(declared) > now - timedelta(days=61)
    assert not TimelineEvent.objects.filter(occurred_at__gt=now).exists()
    assert not TimelineEvent.objects.filter(recorded_at__gt=now).exists()


def test_it_stamps_every_change_with_the_moment_of_its_story(loaded: str) -> None:
    """Nothing the stories wrote carries the time the demo was loaded."""
    closed = Incident.objects.filter(status=Status.CLOSED).order_by("declared_at").first()
    assert closed is not None
    assert closed.closed_at is not None and closed.resolved_at is not None
    # Its action items were worked on after it closed; still in the story's past.
    assert closed.closed_at <= closed.updated_at < timezone.now() - timedelta(days=1)
    assert closed.declared_at < closed.resolved_at < closed.closed_at
    assert closed.timeline.filter(kind="update", data__field="closed_at").get().data["to"] == (
        closed.closed_at.isoformat()
    )
    recent = timezone.now() - timedelta(minutes=1)
    assert not AuditRecord.objects.filter(at__gt=recent).exists()


# Models the demo writes times into (so the check below is not vacuous); any
# other model it starts writing to is checked as well.
STAMPED_MODELS = {
    "auth.User",
    "core.AuditRecord",
    "incidents.Incident",
    "incidents.TimelineEvent",
    "incidents.RoleAssignment",
    "incidents.Participant",
    "incidents.Task",
    "triggers.PolicyFiring",
    "triggers.Proposal",
    "postmortems.Postmortem",
    "postmortems.Section",
    "postmortems.Reviewer",
    "postmortems.ChecklistItem",
    "actions.ActionItem",
}


def _times_in_json(value: object) -> Iterator[datetime]:
    """The date-and-time texts inside a JSON value (timeline data, audit
    changes), e.g. {"field": "mitigated_at", "to": "2026-11-26T03:12:00+00:00"}."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _times_in_json(item)
    elif isinstance(value, list):
        for item in value:
            yield from _times_in_json(item)
    elif isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and "T" in value:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return
        if when.tzinfo is not None:
            yield when


# What is rendered from the stories when they are loaded, stamped with the
# real time of the rendering (a cache, not part of any story).
RENDERED_NOW = {"statuspage.RenderedPage"}


def test_every_time_it_writes_is_a_time_of_its_stories(loading: tuple[datetime, str]) -> None:
    """Every date and time of every row, in every model (whichever app it
    is in, and any model added later), and every time quoted inside JSON, lies
    between the team joining and the stories' present: none is the moment
    the demo was loaded, as a service called without the story's `now` would
    have stamped it."""
    started, _output = loading
    earliest, latest = started - TEAM_AGE - timedelta(minutes=1), started - timedelta(minutes=1)
    stamped: set[str] = set()
    quoted = 0
    for model in apps.get_models():
        if model._meta.label in RENDERED_NOW:
            continue
        fields = model._meta.concrete_fields
        times = [f.attname for f in fields if isinstance(f, models.DateTimeField)]
        texts = [f.attname for f in fields if isinstance(f, models.JSONField)]
        if not times and not texts:
            continue
        for row in model._default_manager.values("pk", *times, *texts):
            where = f"{model._meta.label} {row['pk']}"
            for name in times:
                if row[name] is not None:
                    stamped.add(model._meta.label)
                    assert earliest <= row[name] <= latest, f"{where}: {name} is {row[name]}"
            for name in texts:
                for when in _times_in_json(row[name]):
                    quoted += 1
                    assert earliest <= when <= latest, f"{where}: {name} quotes {when}"
    assert stamped >= STAMPED_MODELS
    assert quoted > 0


def test_it_uses_several_services(loaded: str) -> None:
    names = set(Incident.services.through.objects.values_list("service__name", flat=True))
    assert {"shop", "checkout", "search", "exports", "payments API"} <= names


def test_it_leaves_a_few_tasks_open(loaded: str) -> None:
    assert Task.objects.filter(status=TaskStatus.OPEN).count() >= 3
    assert Task.objects.filter(status=TaskStatus.DONE).exists()


def test_the_open_sev2_catches_up_like_the_journey(loaded: str) -> None:
    incident = Incident.objects.get(title="Checkout fails for all users")
    catchup = build_catchup(incident)
    assert incident.status == Status.INVESTIGATING
    assert catchup.roles["commander"].username == "amira"
    assert catchup.roles["scribe"] is None
    assert catchup.open_tasks
    assert len(catchup.latest) == 5
    assert timedelta(minutes=20) < catchup.impact_duration < timedelta(hours=2)


def test_it_creates_the_demo_team_with_their_preferences(loaded: str) -> None:
    assert {demo.username for demo in DEMO_USERS} == set(
        User.objects.values_list("username", flat=True)
    )
    lea = User.objects.get(username="lea")
    assert (lea.profile.language, lea.profile.timezone) == ("fr", "Europe/Paris")
    assert User.objects.get(username="victor").profile.role == Role.VIEWER
    assert User.objects.get(username="admin").profile.role == Role.ADMIN
    assert lea.check_password(DEMO_PASSWORD)


def test_it_says_how_to_log_in(loaded: str) -> None:
    assert "http://127.0.0.1:8000/" in loaded
    assert "amira" in loaded
    assert DEMO_PASSWORD in loaded
    assert "demo data" in loaded

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import IntegrityError
from django.utils import timezone, translation
from pytest_django import Settings

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user
from hotwash.actions import services
from hotwash.actions.models import ActionItem, Status
from hotwash.actions.signals import action_item_changed
from hotwash.core.errors import InvalidInput, NotFound, PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import Incident, Service, TimelineEvent, TimelineKind
from hotwash.policies import load_policies
from hotwash.postmortems.models import Postmortem
from hotwash.teams.models import Team

pytestmark = pytest.mark.django_db

NOW = "2026-03-02 10:00:00+00:00"
TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _postmortem(incident: Incident | None, **fields: Any) -> Postmortem:
    now = timezone.now()
    return Postmortem.objects.create(
        incident=incident,
        kind="incident" if incident else "project",
        template="default",
        title="Review",
        created_at=now,
        updated_at=now,
        **fields,
    )


def _item(actor: User, incident: Incident, **fields: Any) -> ActionItem:
    fields.setdefault("owner", actor)
    return services.create_action_item(
        actor=actor, title="Add an alert", incident=incident, **fields
    )


def _action_entries(incident: Incident) -> list[TimelineEvent]:
    return list(incident.timeline.filter(kind=TimelineKind.ACTION_ITEM).order_by("id"))


# --- creation ---------------------------------------------------------------


def test_it_creates_an_item_with_timeline_entry_audit_and_signal(
    responder: User, other_responder: User, incident: Incident
) -> None:
    received: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        received.append(kwargs)

    action_item_changed.connect(receiver, dispatch_uid="test-create")
    try:
        item = services.create_action_item(
            actor=responder,
            title="  Alert on checkout errors ",
            owner="sam",
            incident=incident,
            description="Page when the error rate passes 2%.",
            priority="high",
            kind="detect",
        )
    finally:
        action_item_changed.disconnect(dispatch_uid="test-create")
    assert item.ref == f"AI-{item.pk}"
    assert item.title == "Alert on checkout errors"
    assert item.owner == other_responder
    assert (item.priority, item.kind, item.status) == ("high", "detect", "open")
    assert item.created_by == responder
    # SEV2: 30 days by default.
    assert item.due_on == TODAY + timedelta(days=30)
    [entry] = _action_entries(incident)
    assert entry.data["event"] == "created" and entry.data["ref"] == item.ref
    assert describe_event(entry) == (
        f"Action item {item.ref} created: Alert on checkout errors (owner Sam, due 2026-04-01)."
    )
    audit = AuditRecord.objects.get(action="action_item.created", object_id=str(item.pk))
    assert audit.actor == responder and audit.changes["owner"] == "sam"
    [signal] = received
    assert signal["item"] == item and signal["actor"] == responder
    assert signal["changes"]["created"] is True and signal["changes"]["due_on"] == "2026-04-01"


@pytest.mark.parametrize(("severity", "days"), [(1, 15), (2, 30), (3, 60), (4, 60)])
def test_the_due_date_defaults_from_policy_by_severity(
    responder: User, severity: int, days: int
) -> None:
    incident = incidents.declare_incident(actor=responder, title="x", severity=severity)
    assert _item(responder, incident).due_on == TODAY + timedelta(days=days)


def test_the_due_date_follows_a_policy_file(
    responder: User, incident: Incident, settings: Settings, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("action_items:\n  due_days: {2: 7}\n  other_due_days: 90\n")
    settings.POLICY_FILE = str(policy)
    load_policies.cache_clear()
    try:
        assert _item(responder, incident).due_on == TODAY + timedelta(days=7)
        pm = _postmortem(None)
        item = services.create_action_item(
            actor=responder, title="Retro follow-up", owner=responder, postmortem=pm
        )
        assert item.due_on == TODAY + timedelta(days=90)
    finally:
        load_policies.cache_clear()


def test_an_item_from_a_postmortem_belongs_to_its_incident(
    responder: User, incident: Incident
) -> None:
    pm = _postmortem(incident)
    item = services.create_action_item(
        actor=responder, title="Runbook", owner=responder, postmortem=pm
    )
    assert item.incident == incident and item.postmortem == pm
    assert item.due_on == TODAY + timedelta(days=30)
    assert len(_action_entries(incident)) == 1


def test_a_retrospective_item_has_no_timeline(responder: User) -> None:
    pm = _postmortem(None)
    item = services.create_action_item(
        actor=responder, title="Keep the pairing", owner=responder, postmortem=pm
    )
    assert item.incident is None
    assert not TimelineEvent.objects.filter(kind=TimelineKind.ACTION_ITEM).exists()
    assert AuditRecord.objects.filter(action="action_item.created").count() == 1


def test_the_team_defaults_to_the_owners_only_team(
    responder: User, other_responder: User, incident: Incident
) -> None:
    payments = Team.objects.create(name="Payments", slug="payments")
    payments.members.add(other_responder)
    assert _item(responder, incident, owner=other_responder).team == payments
    # Several teams: none is guessed, unless the incident's services say.
    search = Team.objects.create(name="Search", slug="search")
    search.members.add(other_responder)
    assert _item(responder, incident, owner=other_responder).team is None
    search.services.add(Service.objects.create(name="search-api"))
    incidents.update_incident(incident, actor=responder, changes={"services": ["search-api"]})
    assert _item(responder, incident, owner=other_responder).team == search
    assert _item(responder, incident, owner=other_responder, team="payments").team == payments


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"owner": None}, "owner"),
        ({"owner": ""}, "owner"),
        ({"owner": "nobody"}, "owner"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"due_on": date(2026, 3, 1)}, "due"),
        ({"due_on": "someday"}, "due"),
        ({"priority": "critical"}, "priority"),
        ({"kind": "blame"}, "kind"),
        ({"status": "finished"}, "status"),
        ({"status": "done"}, "status"),
        ({"team": "nope"}, "team"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    responder: User, incident: Incident, fields: dict[str, Any], field: str
) -> None:
    fields = {"title": "Add an alert", "owner": responder, **fields}
    before = (TimelineEvent.objects.count(), AuditRecord.objects.count())
    with pytest.raises(InvalidInput) as error:
        services.create_action_item(actor=responder, incident=incident, **fields)
    assert error.value.field == field
    assert error.value.message
    assert not ActionItem.objects.exists()
    assert (TimelineEvent.objects.count(), AuditRecord.objects.count()) == before


def test_an_inactive_owner_is_refused(responder: User, incident: Incident) -> None:
    gone = create_user("gone", role=Role.RESPONDER)
    gone.is_active = False
    gone.save()
    for owner in ("gone", gone):
        with pytest.raises(InvalidInput) as error:
            _item(responder, incident, owner=owner)
        assert error.value.field == "owner"


def test_an_item_needs_an_incident_or_a_postmortem(responder: User) -> None:
    with pytest.raises(InvalidInput) as error:
        services.create_action_item(actor=responder, title="x", owner=responder)
    assert error.value.field == "incident"


def test_a_postmortem_of_another_incident_is_refused(responder: User, incident: Incident) -> None:
    other = incidents.declare_incident(actor=responder, title="other")
    with pytest.raises(InvalidInput) as error:
        _item(responder, incident, postmortem=_postmortem(other))
    assert error.value.field == "postmortem"


def test_today_is_an_acceptable_due_date(responder: User, incident: Incident) -> None:
    assert _item(responder, incident, due_on="2026-03-02").due_on == TODAY


def test_viewers_cannot_create(viewer: User, incident: Incident) -> None:
    with pytest.raises(PermissionDenied):
        _item(viewer, incident)
    assert not ActionItem.objects.exists()


def test_private_incidents_are_not_found_for_outsiders(
    responder: User, other_responder: User
) -> None:
    secret = incidents.declare_incident(actor=responder, title="Leak", private=True)
    with pytest.raises(NotFound):
        _item(other_responder, secret)
    # Nor can an item on it be given to someone who cannot see it.
    with pytest.raises(InvalidInput) as error:
        _item(responder, secret, owner=other_responder)
    assert error.value.field == "owner"
    incidents.add_participant(secret, actor=responder, user=other_responder)
    assert _item(responder, secret, owner=other_responder).owner == other_responder


def test_a_failing_receiver_rolls_everything_back(responder: User, incident: Incident) -> None:
    def explode(**kwargs: Any) -> None:
        raise RuntimeError("receiver failed")

    entries = TimelineEvent.objects.count()
    action_item_changed.connect(explode, dispatch_uid="test-explode")
    try:
        with pytest.raises(RuntimeError):
            _item(responder, incident)
    finally:
        action_item_changed.disconnect(dispatch_uid="test-explode")
    assert not ActionItem.objects.exists()
    assert TimelineEvent.objects.count() == entries
    assert not AuditRecord.objects.filter(action__startswith="action_item").exists()


# --- changes ----------------------------------------------------------------


def test_done_sets_done_at_and_reopening_clears_it(responder: User, incident: Incident) -> None:
    item = _item(responder, incident)
    item = services.update_action_item(item, actor=responder, changes={"status": "done"})
    assert item.status == Status.DONE and item.done_at == timezone.now()
    with time_machine.travel("2026-03-05 10:00:00+00:00", tick=False):
        # Marking done again keeps the first completion time and writes nothing.
        services.update_action_item(item, actor=responder, changes={"status": "done"})
    item.refresh_from_db()
    assert item.done_at == timezone.now()
    item = services.update_action_item(item, actor=responder, changes={"status": "open"})
    assert item.status == Status.OPEN and item.done_at is None
    sentences = [describe_event(e) for e in _action_entries(incident)]
    assert sentences[1] == f"Action item {item.ref} (Add an alert) is done."
    assert sentences[2] == f"Action item {item.ref} (Add an alert) was reopened (Open)."
    assert len(sentences) == 3


def test_wont_do_needs_a_reason(responder: User, incident: Incident) -> None:
    item = _item(responder, incident)
    with pytest.raises(InvalidInput) as error:
        services.update_action_item(item, actor=responder, changes={"status": "wont_do"})
    assert error.value.field == "reason"
    item.refresh_from_db()
    assert item.status == Status.OPEN
    item = services.set_status(item, actor=responder, status="won't do", reason="Service retired.")
    assert item.status == Status.WONT_DO and item.wont_do_reason == "Service retired."
    entry = _action_entries(incident)[-1]
    assert describe_event(entry).endswith("will not be done: Service retired.")
    with translation.override("fr"):
        assert "ne sera pas faite : Service retired." in describe_event(entry)
    item = services.update_action_item(item, actor=responder, changes={"status": "in_progress"})
    assert item.wont_do_reason == ""


def test_the_database_refuses_wont_do_without_reason(responder: User, incident: Incident) -> None:
    item = _item(responder, incident)
    with pytest.raises(IntegrityError):
        ActionItem.objects.filter(pk=item.pk).update(status="wont_do")


def test_field_changes_are_recorded_once_each(
    responder: User, other_responder: User, incident: Incident
) -> None:
    item = _item(responder, incident)
    item = services.update_action_item(
        item,
        actor=responder,
        changes={
            "owner": "sam",
            "due": "2026-05-01",
            "priority": "urgent",
            "title": "Add an alert",
        },
    )
    assert item.owner == other_responder and item.due_on == date(2026, 5, 1)
    audit = AuditRecord.objects.filter(action="action_item.updated").get()
    assert audit.changes == {
        "owner": {"from": "amira", "to": "sam"},
        "due_on": {"from": "2026-04-01", "to": "2026-05-01"},
        "priority": {"from": "medium", "to": "urgent"},
    }
    text = describe_event(_action_entries(incident)[-1])
    assert "Owner changed from Amira to Sam." in text
    assert "Due changed from 2026-04-01 to 2026-05-01." in text
    with translation.override("fr"):
        assert "Responsable passe de Amira à Sam." in describe_event(_action_entries(incident)[-1])
    # Nothing changed: nothing written.
    services.update_action_item(item, actor=responder, changes={"priority": "urgent"})
    assert AuditRecord.objects.filter(action="action_item.updated").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"owner": None}, "owner"),
        ({"owner": "nobody"}, "owner"),
        ({"due": None}, "due"),
        ({"status": "finished"}, "status"),
        ({"kind": "x"}, "kind"),
        ({"created_at": "2026-01-01"}, "created_at"),
        ({"reason": "not needed"}, "reason"),
    ],
)
def test_bad_changes_change_nothing(
    responder: User, incident: Incident, changes: dict[str, Any], field: str
) -> None:
    item = _item(responder, incident)
    entries = TimelineEvent.objects.count()
    with pytest.raises(InvalidInput) as error:
        services.update_action_item(item, actor=responder, changes={"title": "New", **changes})
    assert error.value.field == field
    item.refresh_from_db()
    assert item.title == "Add an alert"
    assert TimelineEvent.objects.count() == entries


def test_the_owner_can_change_their_own_items_status_only(
    responder: User, viewer: User, incident: Incident
) -> None:
    item = _item(responder, incident, owner=viewer)
    item = services.update_action_item(item, actor=viewer, changes={"status": "done"})
    assert item.status == Status.DONE
    with pytest.raises(PermissionDenied):
        services.update_action_item(item, actor=viewer, changes={"due": "2026-06-01"})
    other_viewer = create_user("olga", role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        services.update_action_item(item, actor=other_viewer, changes={"status": "open"})


def test_hotwash_itself_can_change_an_item(responder: User, incident: Incident) -> None:
    item = _item(responder, incident)
    item = services.update_action_item(item, actor=None, changes={"status": "done"})
    assert item.status == Status.DONE
    entry = _action_entries(incident)[-1]
    assert entry.author is None


def test_outsiders_cannot_change_items_of_private_incidents(
    responder: User, other_responder: User
) -> None:
    secret = incidents.declare_incident(actor=responder, title="Leak", private=True)
    item = _item(responder, secret)
    with pytest.raises(NotFound):
        services.update_action_item(item, actor=other_responder, changes={"status": "done"})


# --- approval blockers ------------------------------------------------------


def test_approval_blockers_name_items_without_owner_or_due_date(
    responder: User, incident: Incident
) -> None:
    pm = _postmortem(incident)
    assert services.approval_blockers(pm) == []
    drafted = services.create_action_item(
        actor=None, title="Decide on retries", owner=None, postmortem=pm
    )
    owned = services.create_action_item(
        actor=responder, title="Alert", owner=responder, postmortem=pm
    )
    ActionItem.objects.filter(pk=owned.pk).update(due_on=None)
    assert services.approval_blockers(pm) == [
        f"Action item {drafted.ref} (Decide on retries) has no owner.",
        f"Action item {owned.ref} (Alert) has no due date.",
    ]
    with translation.override("fr"):
        assert "pas de responsable" in services.approval_blockers(pm)[0]
    services.update_action_item(drafted, actor=responder, changes={"owner": "amira"})
    services.update_action_item(owned, actor=responder, changes={"due": "2026-04-10"})
    assert services.approval_blockers(pm) == []

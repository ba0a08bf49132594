from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from hotwash.core.errors import InvalidInput, NotFound, PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.incidents import services
from hotwash.incidents.models import (
    Incident,
    RoleAssignment,
    Status,
    TimelineEdit,
    TimelineEvent,
    TimelineKind,
)
from hotwash.incidents.queries import build_catchup, get_incident, visible_incidents

pytestmark = pytest.mark.django_db


def test_it_declares_with_only_a_title(responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="  Checkout fails  ")
    assert incident.ref == f"INC-{incident.pk}"
    assert incident.title == "Checkout fails"
    assert incident.severity == 3
    assert incident.status == Status.INVESTIGATING
    assert incident.detection_source == ""  # not told, so not recorded
    assert incident.declared_at is not None
    event = incident.timeline.get()
    assert event.kind == TimelineKind.DECLARED
    assert event.author == responder
    assert AuditRecord.objects.filter(
        action="incident.declared", object_id=str(incident.pk)
    ).exists()


@pytest.mark.parametrize(
    ("title", "field"),
    [("", "title"), ("   ", "title"), ("x" * 201, "title")],
)
def test_it_refuses_a_bad_title_and_writes_nothing(responder: User, title: str, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        services.declare_incident(actor=responder, title=title)
    assert error.value.field == field
    assert not Incident.objects.exists()
    assert not TimelineEvent.objects.exists()


def test_it_refuses_unknown_severity(responder: User) -> None:
    with pytest.raises(InvalidInput) as error:
        services.declare_incident(actor=responder, title="x", severity=7)
    assert error.value.field == "severity"


def test_viewers_cannot_declare(viewer: User) -> None:
    with pytest.raises(PermissionDenied):
        services.declare_incident(actor=viewer, title="x")


def test_a_status_change_writes_a_timeline_entry_and_implied_times(responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="Shop down", severity="SEV2")
    services.update_incident(incident, actor=responder, changes={"status": "resolved"})
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert incident.resolved_at is not None and incident.mitigated_at is not None
    kinds = list(incident.timeline.values_list("kind", "data__field"))
    assert (TimelineKind.STATUS, "status") in kinds
    assert (TimelineKind.UPDATE, "resolved_at") in kinds
    services.update_incident(incident, actor=responder, changes={"status": "investigating"})
    incident.refresh_from_db()
    assert incident.resolved_at is None


def test_an_unchanged_value_writes_nothing(responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="x", severity=2)
    services.update_incident(incident, actor=responder, changes={"severity": 2, "title": "x"})
    assert incident.timeline.count() == 1


def test_a_bad_field_in_an_update_changes_nothing(responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="x")
    with pytest.raises(InvalidInput) as error:
        services.update_incident(
            incident, actor=responder, changes={"severity": 1, "status": "exploded"}
        )
    assert error.value.field == "status"
    incident.refresh_from_db()
    assert incident.severity == 3
    assert incident.timeline.count() == 1


def test_back_dated_notes_keep_both_times(responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="x")
    earlier = timezone.now() - timedelta(minutes=30)
    event = services.add_timeline_event(
        incident, actor=responder, body="Pods restarted", occurred_at=earlier, key_moment=True
    )
    assert event.occurred_at == earlier
    assert event.recorded_at > earlier
    assert event.key_moment


def test_it_refuses_a_back_dated_time_in_the_future(responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="x")
    with pytest.raises(InvalidInput) as error:
        services.add_timeline_event(
            incident, actor=responder, body="x", occurred_at=timezone.now() + timedelta(hours=1)
        )
    assert error.value.field == "occurred_at"
    assert incident.timeline.count() == 1


def test_edits_keep_history(responder: User, other_responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="x")
    event = services.add_timeline_event(incident, actor=responder, body="Rolled back 4.1")
    services.edit_timeline_event(event, actor=other_responder, body="Rolled back 4.2")
    edit = TimelineEdit.objects.get(event=event)
    assert edit.before == {"body": "Rolled back 4.1"}
    assert edit.after == {"body": "Rolled back 4.2"}
    assert edit.editor == other_responder
    event.refresh_from_db()
    assert event.edited_at is not None


def test_handing_over_a_role_ends_the_previous_assignment(
    responder: User, other_responder: User
) -> None:
    incident = services.declare_incident(actor=responder, title="x")
    services.assign_role(incident, actor=responder, role="commander", user=responder)
    services.assign_role(incident, actor=responder, role="commander", user=other_responder)
    assignments = list(
        RoleAssignment.objects.filter(incident=incident).order_by("started_at", "id")
    )
    assert [a.user for a in assignments] == [responder, other_responder]
    assert assignments[0].ended_at is not None and assignments[1].ended_at is None
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert incident.timeline.filter(kind=TimelineKind.ROLE).count() == 2


def test_private_incidents_are_hidden_from_non_participants(
    responder: User, other_responder: User, admin_user: User
) -> None:
    secret = services.declare_incident(actor=responder, title="Leaked key", private=True)
    public = services.declare_incident(actor=responder, title="Slow search")
    assert set(visible_incidents(other_responder)) == {public}
    assert set(visible_incidents(admin_user)) == {secret, public}
    with pytest.raises(NotFound):
        get_incident(other_responder, secret.ref)
    with pytest.raises(NotFound):
        services.add_timeline_event(secret, actor=other_responder, body="peek")
    services.add_participant(secret, actor=responder, user=other_responder)
    assert get_incident(other_responder, str(secret.pk)) == secret


def test_catchup_structures_where_things_stand(responder: User, other_responder: User) -> None:
    with time_machine.travel("2026-11-26 03:12:00+00:00", tick=False) as clock:
        incident = services.declare_incident(
            actor=responder, title="Shop down", severity=2, impact="Checkout fails for all users"
        )
        services.assign_role(incident, actor=responder, role="commander", user=responder)
        for n in range(7):
            clock.shift(60)
            services.add_timeline_event(incident, actor=other_responder, body=f"update {n}")
        services.add_timeline_event(
            incident, actor=responder, body="Rolled back 4.2", key_moment=True
        )
        services.add_task(
            incident, actor=responder, title="Check replica lag", assignee=other_responder
        )
        clock.shift(60 * 20)
        catchup = build_catchup(incident)
    assert catchup.roles["commander"] == responder
    assert catchup.roles["scribe"] is None
    assert [e.body for e in catchup.latest][:2] == ["Rolled back 4.2", "update 6"]
    assert len(catchup.latest) == 5
    assert "Rolled back 4.2" in [e.body for e in catchup.key_moments]
    assert [t.title for t in catchup.open_tasks] == ["Check replica lag"]
    assert catchup.impact_duration == timedelta(minutes=27)

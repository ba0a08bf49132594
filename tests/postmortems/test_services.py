"""Postmortem services: drafting on resolution, retrospectives, sections with
conflict detection, the review workflow, facts read from the incident."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection

from hotwash.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import TimelineKind
from hotwash.postmortems import services
from hotwash.postmortems.facts import incident_facts
from hotwash.postmortems.models import Kind, Postmortem, Section, Status
from hotwash.postmortems.services import CHECKLIST_KEYS, SectionConflict

pytestmark = pytest.mark.django_db

# A Wednesday, so that business days and calendar days differ.
RESOLVED = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _resolved_incident(actor: User, severity: int) -> Any:
    incident = incidents.declare_incident(
        actor=actor, title="Checkout fails", severity=severity, summary="Payments time out."
    )
    incidents.assign_role(incident, actor=actor, role="commander", user=actor)
    with time_machine.travel(RESOLVED, tick=False):
        incidents.set_status(incident, actor=actor, status="resolved")
    incident.refresh_from_db()
    return incident


def test_resolving_a_sev1_drafts_a_full_postmortem_due_in_three_calendar_days(
    responder: User,
) -> None:
    incident = _resolved_incident(responder, 1)
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.template == "default"
    assert postmortem.required
    assert postmortem.owner == responder
    assert postmortem.due_on == date(2026, 11, 28)
    assert postmortem.status == Status.DRAFT
    # The summary starts from what responders wrote during the incident.
    assert postmortem.sections.get(key="summary").body == "Payments time out."
    drafted = incident.timeline.get(kind=TimelineKind.POSTMORTEM)
    assert "drafted" in describe_event(drafted)
    assert AuditRecord.objects.filter(action="postmortem.drafted").count() == 1


def test_a_sev2_is_due_in_five_business_days(responder: User) -> None:
    postmortem = Postmortem.objects.get(incident=_resolved_incident(responder, 2))
    assert postmortem.required
    # Wednesday + 5 working days skips the weekend: next Wednesday.
    assert postmortem.due_on == date(2026, 12, 2)


def test_sev3_gets_an_optional_lightweight_one(responder: User) -> None:
    postmortem = Postmortem.objects.get(incident=_resolved_incident(responder, 3))
    assert postmortem.template == "lightweight"
    assert not postmortem.required


def test_resolving_twice_never_drafts_a_second_one(responder: User) -> None:
    incident = _resolved_incident(responder, 2)
    incidents.set_status(incident, actor=responder, status="investigating")
    incidents.set_status(incident, actor=responder, status="resolved")
    assert Postmortem.objects.filter(incident=incident).count() == 1


def test_resolving_audits_the_draft_as_hotwash_s_own(responder: User) -> None:
    incident = _resolved_incident(responder, 1)
    drafted = AuditRecord.objects.get(action="postmortem.drafted")
    assert drafted.actor is None  # drafted by policy, not by the person who resolved
    assert drafted.object_id == str(Postmortem.objects.get(incident=incident).pk)
    assert drafted.changes["due_on"] == "2026-11-28"


def test_resolving_starts_the_clock_of_an_existing_postmortem_with_an_audit_record(
    responder: User,
) -> None:
    incident = incidents.declare_incident(actor=responder, title="Checkout fails", severity=2)
    postmortem = services.create_retrospective(
        actor=responder, title="", kind="incident", incident=incident
    )
    assert postmortem.due_on is None
    with time_machine.travel(RESOLVED, tick=False):
        incidents.set_status(incident, actor=responder, status="resolved")
    postmortem.refresh_from_db()
    assert postmortem.due_on == date(2026, 12, 2)
    record = AuditRecord.objects.get(action="postmortem.updated", object_id=str(postmortem.pk))
    assert record.actor == responder  # whoever resolved the incident
    assert record.changes == {
        "due_on": {"from": None, "to": "2026-12-02"},
        "because": "incident_resolved",
    }
    # Resolving again does not move the clock, and writes nothing more.
    incidents.set_status(incident, actor=responder, status="investigating")
    incidents.set_status(incident, actor=responder, status="resolved")
    assert AuditRecord.objects.filter(action="postmortem.updated").count() == 1


def test_any_incident_can_get_one_on_request(responder: User) -> None:
    incident = incidents.declare_incident(actor=responder, title="Near miss", severity=4)
    postmortem = services.create_retrospective(
        actor=responder, title="", kind="incident", incident=incident
    )
    assert postmortem.incident == incident
    assert postmortem.due_on is None  # not resolved yet: no clock
    with pytest.raises(Conflict):
        services.create_retrospective(actor=responder, title="", kind="incident", incident=incident)


def test_retrospectives_need_no_incident(responder: User) -> None:
    success = services.create_retrospective(
        actor=responder,
        title="Zero-downtime database upgrade",
        kind="success",
        services=["db"],
        tags=["upgrade", "db"],
        language="fr",
    )
    assert success.kind == Kind.SUCCESS
    assert success.template == "success"
    assert success.owner == responder
    assert success.original_language == "fr"
    assert list(success.services.values_list("name", flat=True)) == ["db"]
    project = services.create_retrospective(
        actor=responder,
        title="Partner API integration",
        kind="project",
        period_start="2026-01-01",
        period_end="2026-06-30",
    )
    assert project.template == "project"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x", "kind": "party"}, "kind"),
        ({"title": "x", "template": "nope"}, "template"),
        ({"title": "x", "template": "default"}, "template"),  # incident-only template
        ({"title": "x", "language": "de"}, "language"),
        ({"title": "x", "owner": "ghost"}, "owner"),
        ({"title": "x", "period_start": "2026-02-01", "period_end": "2026-01-01"}, "period_end"),
        ({"title": "x", "due_on": "tomorrow"}, "due_on"),
        ({"title": "x", "kind": "incident"}, "incident"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    responder: User, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.create_retrospective(actor=responder, **changes)
    assert caught.value.field == field
    assert not Postmortem.objects.exists()


def test_viewers_cannot_start_or_edit(responder: User, viewer: User) -> None:
    with pytest.raises(PermissionDenied):
        services.create_retrospective(actor=viewer, title="x")
    postmortem = services.create_retrospective(actor=responder, title="Launch")
    with pytest.raises(PermissionDenied):
        services.save_section(
            postmortem, actor=viewer, key="summary", language="en", body="x", base_version=0
        )


def test_private_incident_postmortem_is_hidden_like_the_incident(
    responder: User, other_responder: User
) -> None:
    incident = incidents.declare_incident(actor=responder, title="Leak", private=True)
    postmortem = services.draft_for_incident(incident, actor=responder)
    assert not services.can_read(other_responder, postmortem)
    with pytest.raises(NotFound):
        services.save_section(
            postmortem, actor=other_responder, key="summary", language="en", body="x",
            base_version=0,
        )  # fmt: skip
    with pytest.raises(InvalidInput):
        services.update_postmortem(postmortem, actor=responder, changes={"public": True})


def test_sections_are_versioned_and_a_stale_save_is_a_conflict(
    responder: User, other_responder: User
) -> None:
    postmortem = services.create_retrospective(actor=responder, title="Launch")
    first = services.save_section(
        postmortem, actor=responder, key="summary", language="en", body="One", base_version=0
    )
    assert first.version == 1
    # Both start from version 1; the second save must not overwrite the first.
    services.save_section(
        postmortem, actor=responder, key="summary", language="en", body="Mine", base_version=1
    )
    with pytest.raises(SectionConflict) as caught:
        services.save_section(
            postmortem, actor=other_responder, key="summary", language="en", body="Theirs",
            base_version=1,
        )  # fmt: skip
    assert caught.value.current.body == "Mine"
    assert caught.value.yours == "Theirs"
    assert caught.value.field == "body"
    assert Section.objects.get(postmortem=postmortem, key="summary").body == "Mine"


def test_two_first_saves_of_the_same_section_conflict(responder: User) -> None:
    postmortem = services.create_retrospective(actor=responder, title="Launch")
    services.save_section(
        postmortem, actor=responder, key="summary", language="en", body="A", base_version=0
    )
    with pytest.raises(SectionConflict):
        services.save_section(
            postmortem, actor=responder, key="summary", language="en", body="B", base_version=0
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_from_the_same_version_let_exactly_one_win(responder: User) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("threads cannot share an in-memory SQLite database")
    postmortem = services.create_retrospective(actor=responder, title="Launch")
    services.save_section(
        postmortem, actor=responder, key="summary", language="en", body="v1", base_version=0
    )
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def save(text: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.save_section(
                postmortem, actor=responder, key="summary", language="en", body=text,
                base_version=1,
            )  # fmt: skip
            outcomes.append("saved")
        except SectionConflict:
            outcomes.append("conflict")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(f"text {n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "saved"]
    assert Section.objects.get(postmortem=postmortem, key="summary").version == 2


def test_unknown_section_and_language_are_refused(responder: User) -> None:
    postmortem = services.create_retrospective(actor=responder, title="Launch")
    with pytest.raises(InvalidInput) as caught:
        services.save_section(
            postmortem, actor=responder, key="nope", language="en", body="x", base_version=0
        )
    assert caught.value.field == "section"
    with pytest.raises(InvalidInput) as caught:
        services.save_section(
            postmortem, actor=responder, key="summary", language="de", body="x", base_version=0
        )
    assert caught.value.field == "language"


def test_completeness_counts_written_sections_per_language(responder: User) -> None:
    postmortem = services.create_retrospective(actor=responder, title="Launch")
    services.save_section(
        postmortem, actor=responder, key="summary", language="en", body="Done", base_version=0
    )
    services.save_section(
        postmortem, actor=responder, key="summary", language="fr", body="Fait", base_version=0
    )
    services.save_section(
        postmortem, actor=responder, key="went_well", language="en", body="Much", base_version=0
    )
    counts = services.completeness(postmortem)
    # The success template has 8 sections, one of them (action items) generated.
    assert counts == {"en": (2, 7), "fr": (1, 7)}


def _ready_for_review(postmortem: Postmortem, owner: User, reviewer: User) -> None:
    services.set_reviewers(postmortem, actor=owner, usernames=[reviewer.username])
    services.transition(postmortem, actor=owner, action="request_review")


def test_the_review_workflow_lands_on_the_incident_timeline(
    responder: User, other_responder: User
) -> None:
    incident = _resolved_incident(responder, 2)
    postmortem = Postmortem.objects.get(incident=incident)
    with pytest.raises(InvalidInput):
        services.transition(postmortem, actor=responder, action="request_review")
    _ready_for_review(postmortem, responder, other_responder)
    postmortem.refresh_from_db()
    assert postmortem.status == Status.IN_REVIEW
    # Not approvable until the checklist is ticked.
    with pytest.raises(Conflict) as caught:
        services.transition(postmortem, actor=other_responder, action="approve")
    assert "Checklist" in caught.value.message
    for key in CHECKLIST_KEYS:
        services.set_checklist_item(postmortem, actor=other_responder, key=key, checked=True)
    services.transition(postmortem, actor=other_responder, action="approve")
    services.transition(postmortem, actor=responder, action="publish")
    postmortem.refresh_from_db()
    assert postmortem.status == Status.PUBLISHED
    assert postmortem.published_at is not None
    events = [
        e.data["event"]
        for e in incident.timeline.filter(kind=TimelineKind.POSTMORTEM).order_by("id")
    ]
    assert events == ["drafted", "reviewers_set", "in_review", "approved", "published"]
    # Published text is frozen until someone reopens it.
    with pytest.raises(Conflict):
        services.save_section(
            postmortem, actor=responder, key="summary", language="en", body="x", base_version=1
        )
    services.transition(postmortem, actor=responder, action="reopen")
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT


def test_a_sev1_postmortem_needs_the_two_approvals_the_review_policy_asks_for(
    responder: User, other_responder: User, admin_user: User
) -> None:
    incident = _resolved_incident(responder, 1)
    postmortem = Postmortem.objects.get(incident=incident)
    services.set_reviewers(postmortem, actor=responder, usernames=["sam", "ada"])
    services.transition(postmortem, actor=responder, action="request_review")
    for key in CHECKLIST_KEYS:
        services.set_checklist_item(postmortem, actor=other_responder, key=key, checked=True)
    assert services.required_approvals(postmortem) == 2
    assert services.approval_problems(postmortem) == []  # ready: approving is not refused

    services.transition(postmortem, actor=other_responder, action="approve")

    postmortem.refresh_from_db()
    assert postmortem.status == Status.IN_REVIEW  # one approval is recorded, one is missing
    standing = services.approvals(postmortem)
    assert (standing.approved, standing.waiting) == ([other_responder], [admin_user])
    assert AuditRecord.objects.filter(action="postmortem.reviewed").count() == 1

    services.transition(postmortem, actor=admin_user, action="approve")

    postmortem.refresh_from_db()
    assert postmortem.status == Status.APPROVED
    assert services.approvals(postmortem).enough
    events = [
        e.data["event"]
        for e in incident.timeline.filter(kind=TimelineKind.POSTMORTEM).order_by("id")
    ]
    assert events[-2:] == ["approved", "approved"]  # Sam's approval, then the move


def test_the_review_policy_s_approvals_come_from_the_policy_file(
    responder: User, other_responder: User, settings: Any, tmp_path: Any
) -> None:
    from hotwash.policies import load_policies

    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "postmortems:\n"
        "  1: {required: true, template: default, due_days: 3}\n"
        "  2: {required: true, template: default, due_days: 5, approvals: 3}\n"
        "  3: {required: false, template: lightweight, due_days: 10}\n"
        "  4: {required: false, template: lightweight, due_days: 10}\n"
    )
    settings.POLICY_FILE = str(policy)
    load_policies.cache_clear()
    try:
        sev1 = Postmortem.objects.get(incident=_resolved_incident(responder, 1))
        sev2 = Postmortem.objects.get(incident=_resolved_incident(responder, 2))
        retro = services.create_retrospective(actor=responder, title="Launch")
        assert services.required_approvals(sev1) == 1  # left out: one
        assert services.required_approvals(sev2) == 3
        assert services.required_approvals(retro) == 1
    finally:
        load_policies.cache_clear()


def test_only_named_reviewers_or_admins_approve(
    responder: User, other_responder: User, admin_user: User
) -> None:
    postmortem = services.create_retrospective(actor=responder, title="Launch")
    _ready_for_review(postmortem, responder, other_responder)
    for key in CHECKLIST_KEYS:
        services.set_checklist_item(postmortem, actor=responder, key=key, checked=True)
    with pytest.raises(PermissionDenied):
        services.transition(postmortem, actor=responder, action="approve")
    services.transition(postmortem, actor=admin_user, action="approve")


def test_changes_requested_need_a_comment(responder: User, other_responder: User) -> None:
    postmortem = services.create_retrospective(actor=responder, title="Launch")
    _ready_for_review(postmortem, responder, other_responder)
    with pytest.raises(InvalidInput):
        services.review(postmortem, actor=other_responder, decision="changes_requested")
    services.review(
        postmortem,
        actor=other_responder,
        decision="changes_requested",
        comment="Say more about detection.",
    )
    assert postmortem.comments.get().body == "Say more about detection."
    with pytest.raises(PermissionDenied):
        services.review(postmortem, actor=responder, decision="approved")


def test_impossible_transitions_change_nothing(responder: User) -> None:
    postmortem = services.create_retrospective(actor=responder, title="Launch")
    with pytest.raises(Conflict):
        services.transition(postmortem, actor=responder, action="publish")
    with pytest.raises(InvalidInput) as caught:
        services.transition(postmortem, actor=responder, action="explode")
    assert caught.value.field == "action"
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT


def test_facts_stay_linked_to_the_incident(responder: User) -> None:
    incident = incidents.declare_incident(actor=responder, title="Slow search", severity=2)
    start = incident.declared_at - timedelta(minutes=30)
    incidents.update_incident(
        incident,
        actor=responder,
        changes={"impact_started_at": start, "detected_at": start + timedelta(minutes=10)},
    )
    incidents.set_status(incident, actor=responder, status="resolved")
    incident.refresh_from_db()
    facts = incident_facts(incident)
    by_key = {d.key: d for d in facts.durations}
    assert by_key["time_to_detect"].value == timedelta(minutes=10)
    # A correction to the incident shows up in the postmortem at once.
    incidents.update_incident(
        incident, actor=responder, changes={"impact_started_at": start - timedelta(minutes=20)}
    )
    incident.refresh_from_db()
    by_key = {d.key: d for d in incident_facts(incident).durations}
    assert by_key["time_to_detect"].value == timedelta(minutes=30)
    assert all(event.key_moment for event in incident_facts(incident).key_moments)


def test_update_header_fields_and_owner_change_on_timeline(
    responder: User, other_responder: User
) -> None:
    incident = _resolved_incident(responder, 2)
    postmortem = Postmortem.objects.get(incident=incident)
    services.update_postmortem(
        postmortem,
        actor=responder,
        changes={"owner": other_responder.username, "due_on": "2026-12-10", "tags": "db, api"},
    )
    postmortem.refresh_from_db()
    assert postmortem.owner == other_responder
    assert postmortem.due_on == date(2026, 12, 10)
    assert postmortem.tags == ["db", "api"]
    kinds = set(
        incident.timeline.filter(kind=TimelineKind.POSTMORTEM).values_list("data__event", flat=True)
    )
    assert {"owner_changed", "due_on_changed"} <= kinds
    with pytest.raises(InvalidInput):
        services.update_postmortem(postmortem, actor=responder, changes={"status": "approved"})


def test_lint_lists_blameful_wording_with_participant_names(responder: User) -> None:
    incident = _resolved_incident(responder, 2)
    postmortem = Postmortem.objects.get(incident=incident)
    services.save_section(
        postmortem,
        actor=responder,
        key="contributing_factors",
        language="en",
        body=f"It was {responder.username}'s fault: human error.",
        base_version=0,
    )
    findings = services.lint_postmortem(postmortem)
    assert findings
    assert {f["section"] for f in findings} == {"contributing_factors"}

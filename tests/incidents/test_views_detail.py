"""The incident page: header, roles, timeline, tasks, participants and the
forms that change them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hotwash.accounts.services import profile_for
from hotwash.actions.services import create_action_item
from hotwash.alerts.models import AlertGroup, AlertSource
from hotwash.incidents import services
from hotwash.incidents.models import (
    Incident,
    Participant,
    RoleAssignment,
    Task,
    TaskStatus,
    TimelineEvent,
    TimelineKind,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(responder: User) -> Incident:
    return services.declare_incident(
        actor=responder,
        title="Shop front unreachable",
        severity=2,
        services=["shop"],
        detection_source="alert",
        impact="Checkout fails for all users",
    )


def page(client: Client, incident: Incident) -> str:
    response = client.get(f"/en/incidents/{incident.ref}/")
    assert response.status_code == 200
    return response.content.decode()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_header_says_where_things_stand(responder: User) -> None:
    with time_machine.travel("2026-11-26 03:12:00+00:00", tick=False) as clock:
        incident = services.declare_incident(
            actor=responder, title="Shop down", severity=2, detection_source="alert"
        )
        clock.shift(40)
        html = page(client_for(responder), incident)
    assert f'<h1 id="incident-title">{incident.title}</h1>' in html
    assert incident.ref in html
    assert "Declared 40 s ago (2026-11-26 03:12:00 UTC)." in html
    assert "SEV2" in html and "Major" in html
    assert "A user-visible feature is broken or badly degraded" in html
    assert "Alert" in html


def test_it_shows_times_in_the_viewers_own_zone(responder: User, incident: Incident) -> None:
    profile = profile_for(responder)
    profile.timezone = "Asia/Tokyo"
    profile.save()
    html = page(client_for(responder), incident)
    assert "JST" in html
    assert "Times are in your time zone, Asia/Tokyo." in html


def test_it_finds_an_incident_by_number_or_ref(
    responder_client: Client, incident: Incident
) -> None:
    for ref in (incident.ref, str(incident.pk), incident.ref.lower()):
        assert responder_client.get(f"/en/incidents/{ref}/").status_code == 200
    assert responder_client.get("/en/incidents/INC-999999/").status_code == 404
    assert responder_client.get("/en/incidents/nonsense/").status_code == 404


def test_a_status_change_writes_a_timeline_entry_shown_on_the_page(
    responder_client: Client, incident: Incident
) -> None:
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/status/", {"status": "monitoring"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/en/incidents/{incident.ref}/#status"
    incident.refresh_from_db()
    assert incident.status == "monitoring"
    assert incident.timeline.filter(kind=TimelineKind.STATUS).exists()
    html = page(responder_client, incident)
    assert "Status is now Monitoring." in html
    assert "Status changed from Investigating to Monitoring." in html


def test_an_unknown_status_is_an_error_on_the_status_field(
    responder_client: Client, incident: Incident
) -> None:
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/status/", {"status": "exploded"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="status_status_error"' in html
    assert "Unknown status exploded" in html
    assert incident.timeline.count() == 1


def test_taking_command_is_one_click(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    assert "Take command" in page(responder_client, incident)
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/roles/take/", {"role": "commander"}
    )
    assert response.status_code == 302
    holder = RoleAssignment.objects.get(incident=incident, ended_at__isnull=True)
    assert (holder.role, holder.user) == ("commander", responder)
    html = page(responder_client, incident)
    assert "You are now incident commander." in html
    assert "Step down as commander" in html
    assert "Amira is now incident commander." in html  # the timeline entry


def test_handing_over_a_role_keeps_its_history(
    responder_client: Client, responder: User, other_responder: User, incident: Incident
) -> None:
    services.assign_role(incident, actor=responder, role="scribe", user=responder)
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/roles/assign/", {"role": "scribe", "user": "sam"}
    )
    assert response.status_code == 302
    current = RoleAssignment.objects.get(incident=incident, role="scribe", ended_at__isnull=True)
    assert current.user == other_responder
    html = page(responder_client, incident)
    assert "Sam is now scribe." in html
    assert "Role history (2 assignments)" in html
    assert "Scribe handed over from Amira to Sam." in html


def test_assigning_a_role_to_nobody_known_is_an_error(
    responder_client: Client, incident: Incident
) -> None:
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/roles/assign/", {"role": "commander", "user": "ghost"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="role_commander_user_error"' in html
    assert "There is no active user named ghost." in html
    assert not RoleAssignment.objects.exists()


def test_the_holder_can_step_down(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    services.assign_role(incident, actor=responder, role="operations", user=responder)
    responder_client.post(f"/en/incidents/{incident.ref}/roles/step-down/", {"role": "operations"})
    assert not RoleAssignment.objects.filter(ended_at__isnull=True).exists()
    assert "Operations lead is now vacant." in page(responder_client, incident)


def test_it_adds_a_note(responder_client: Client, incident: Incident) -> None:
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/timeline/",
        {"body": "Restarting the pods", "kind": "note"},
    )
    event = TimelineEvent.objects.get(kind="note")
    assert response["Location"] == f"/en/incidents/{incident.ref}/#event-{event.pk}"
    assert not event.key_moment
    html = page(responder_client, incident)
    assert "Restarting the pods" in html
    assert "Recorded later" not in html


def test_a_decision_can_be_a_key_moment(responder_client: Client, incident: Incident) -> None:
    responder_client.post(
        f"/en/incidents/{incident.ref}/timeline/",
        {"body": "Roll back 4.2", "kind": "decision", "key_moment": "on"},
    )
    event = TimelineEvent.objects.get(kind="decision")
    assert event.key_moment
    html = page(responder_client, incident)
    entry = html.split(f'id="event-{event.pk}"')[1].split("</li>")[0]
    assert "Key moment" in entry  # said in words, not only with colour


def test_a_back_dated_note_is_read_in_the_writers_zone(responder: User, incident: Incident) -> None:
    profile = profile_for(responder)
    profile.timezone = "Europe/Paris"
    profile.save()
    client = client_for(responder)
    with time_machine.travel("2026-11-26 03:12:00+00:00", tick=False):
        client.post(
            f"/en/incidents/{incident.ref}/timeline/",
            {"body": "Pods restarted", "kind": "note", "occurred_at": "2026-11-26T03:50"},
        )
        html = page(client, incident)
    event = TimelineEvent.objects.get(kind="note")
    # 03:50 in Paris (UTC+1) is 02:50 UTC.
    assert event.occurred_at == datetime(2026, 11, 26, 2, 50, tzinfo=UTC)
    assert event.recorded_at == datetime(2026, 11, 26, 3, 12, tzinfo=UTC)
    assert "2026-11-26 03:50:00 CET" in html
    assert "Recorded later, at 2026-11-26 04:12:00 CET." in html


def test_a_back_dated_time_in_the_future_is_refused(
    responder_client: Client, incident: Incident
) -> None:
    later = timezone.localtime(timezone.now() + timedelta(hours=2), UTC)
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/timeline/",
        {"body": "Too early", "occurred_at": later.strftime("%Y-%m-%dT%H:%M")},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="entry_occurred_at_error"' in html
    assert "This time is in the future" in html
    # What the person typed is still there.
    assert "Too early</textarea>" in html
    assert incident.timeline.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": "  "}, "entry_body"),
        ({"body": "x", "occurred_at": "yesterday"}, "entry_occurred_at"),
    ],
)
def test_a_bad_entry_is_refused_on_its_field(
    responder_client: Client, incident: Incident, data: dict[str, str], field: str
) -> None:
    response = responder_client.post(f"/en/incidents/{incident.ref}/timeline/", data)
    assert response.status_code == 422
    assert f'id="{field}_error"' in response.content.decode()
    assert incident.timeline.count() == 1


def test_correcting_an_entry_shows_its_history(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    event = services.add_timeline_event(incident, actor=responder, body="Rolled back 4.1")
    url = f"/en/incidents/{incident.ref}/timeline/{event.pk}/edit/"
    form = responder_client.get(url)
    assert form.status_code == 200
    assert "Rolled back 4.1</textarea>" in form.content.decode()
    initial = timezone.localtime(event.occurred_at).strftime("%Y-%m-%dT%H:%M")
    response = responder_client.post(
        url,
        {
            "body": "Rolled back 4.2",
            "initial-body": "Rolled back 4.1",
            "occurred_at": initial,
            "initial-occurred_at": initial,
            "initial-key_moment": "False",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.body == "Rolled back 4.2"
    # An untouched time is not rewritten (the form shows minutes only).
    assert event.edits.get().after == {"body": "Rolled back 4.2"}
    html = page(responder_client, incident)
    assert "Edited once" in html
    assert "<del>Rolled back 4.1</del>" in html
    assert "<ins>Rolled back 4.2</ins>" in html


def test_generated_entries_cannot_be_edited_as_text(
    responder_client: Client, incident: Incident
) -> None:
    declared = incident.timeline.get()
    url = f"/en/incidents/{incident.ref}/timeline/{declared.pk}/edit/"
    assert responder_client.get(url).status_code == 404


def test_saving_details_changes_only_what_the_person_changed(
    responder_client: Client, responder: User, other_responder: User, incident: Incident
) -> None:
    html = page(responder_client, incident)
    assert 'name="initial-severity" value="2"' in html
    # Meanwhile someone else raises the severity.
    services.update_incident(incident, actor=other_responder, changes={"severity": 1})
    declared = timezone.localtime(incident.declared_at).strftime("%Y-%m-%dT%H:%M")
    form = {
        "title": "Shop front unreachable",
        "summary": "Prometheus cannot reach the shop.",
        "impact": "Checkout fails for all users",
        "severity": "2",
        "detection_source": "alert",
        "services": "shop, payments",
        "declared_at": declared,
    }
    sent = dict(form)
    sent.update({f"initial-{name}": value for name, value in form.items()})
    sent["initial-summary"] = ""
    sent["initial-services"] = "shop"
    sent["initial-private"] = "False"
    response = responder_client.post(f"/en/incidents/{incident.ref}/details/", sent)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.summary == "Prometheus cannot reach the shop."
    assert sorted(incident.services.values_list("name", flat=True)) == ["payments", "shop"]
    assert incident.severity == 1  # the other person's change stands


def test_an_impact_time_is_read_in_the_viewers_zone(responder: User, incident: Incident) -> None:
    profile = profile_for(responder)
    profile.timezone = "America/New_York"
    profile.save()
    client = client_for(responder)
    with time_machine.travel("2026-11-26 12:00:00+00:00", tick=False):
        response = client.post(
            f"/en/incidents/{incident.ref}/details/",
            {"impact_started_at": "2026-11-26T06:30", "initial-impact_started_at": ""},
        )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.impact_started_at == datetime(2026, 11, 26, 11, 30, tzinfo=UTC)


def test_the_declaration_time_cannot_be_cleared(
    responder_client: Client, incident: Incident
) -> None:
    declared = timezone.localtime(incident.declared_at).strftime("%Y-%m-%dT%H:%M")
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/details/",
        {"declared_at": "", "initial-declared_at": declared},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="edit_declared_at_error"' in html
    assert "An incident always has a declaration time." in html
    assert '<details class="disclosure panel" open>' in html


def test_saving_unchanged_details_writes_nothing(
    responder_client: Client, incident: Incident
) -> None:
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/details/", {"title": "x", "initial-title": "x"}
    )
    assert response.status_code == 302
    assert incident.timeline.count() == 1
    assert "Nothing changed." in page(responder_client, incident)


def test_tasks_can_be_added_assigned_and_done(
    responder_client: Client, other_responder: User, incident: Incident
) -> None:
    responder_client.post(
        f"/en/incidents/{incident.ref}/tasks/", {"title": "Check replica lag", "assignee": "sam"}
    )
    task = Task.objects.get()
    assert task.assignee == other_responder
    html = page(responder_client, incident)
    assert "Check replica lag" in html and "for Sam" in html
    responder_client.post(f"/en/incidents/{incident.ref}/tasks/{task.pk}/done/")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert "No open tasks." in page(responder_client, incident)


def test_a_task_needs_a_title(responder_client: Client, incident: Incident) -> None:
    response = responder_client.post(f"/en/incidents/{incident.ref}/tasks/", {"title": ""})
    assert response.status_code == 422
    assert 'id="task_title_error"' in response.content.decode()
    assert not Task.objects.exists()


def test_a_task_of_another_incident_is_not_found(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    other = services.declare_incident(actor=responder, title="Other")
    task = services.add_task(other, actor=responder, title="Elsewhere")
    url = f"/en/incidents/{incident.ref}/tasks/{task.pk}/done/"
    assert responder_client.post(url).status_code == 404


def test_adding_a_participant_opens_a_private_incident_to_them(
    responder_client: Client, responder: User, other_responder: User
) -> None:
    secret = services.declare_incident(actor=responder, title="Leaked key", private=True)
    sam = client_for(other_responder)
    assert sam.get(f"/en/incidents/{secret.ref}/").status_code == 404
    response = responder_client.post(f"/en/incidents/{secret.ref}/participants/", {"user": "sam"})
    assert response.status_code == 302
    assert Participant.objects.filter(incident=secret, user=other_responder).exists()
    assert "Leaked key" in page(sam, secret)


def test_a_private_incident_is_not_found_by_others(responder: User, other_responder: User) -> None:
    secret = services.declare_incident(actor=responder, title="Leaked key", private=True)
    sam = client_for(other_responder)
    for url in ("", "catchup/", f"timeline/{secret.timeline.get().pk}/edit/"):
        assert sam.get(f"/en/incidents/{secret.ref}/{url}").status_code == 404
    for url, data in [
        ("status/", {"status": "resolved"}),
        ("timeline/", {"body": "peek"}),
        ("roles/take/", {"role": "commander"}),
    ]:
        assert sam.post(f"/en/incidents/{secret.ref}/{url}", data).status_code == 404
    assert secret.timeline.count() == 1
    assert "Leaked key" not in sam.get("/en/incidents/?q=Leaked").content.decode()


ACTIONS = [
    ("status/", {"status": "resolved"}),
    ("details/", {"title": "x", "initial-title": "y"}),
    ("timeline/", {"body": "hello"}),
    ("roles/take/", {"role": "commander"}),
    ("roles/assign/", {"role": "commander", "user": "amira"}),
    ("tasks/", {"title": "x"}),
    ("participants/", {"user": "amira"}),
]


def test_viewers_see_the_page_without_forms(viewer: User, incident: Incident) -> None:
    html = page(client_for(viewer), incident)
    main = html.split('id="main"')[1]
    assert "Shop front unreachable" in main
    # Only the Follow button: reading is enough to follow an incident.
    assert main.count("<form") == 1
    assert 'class="follow-form"' in main
    assert "Take command" not in main


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_viewers_cannot_post(
    viewer: User, incident: Incident, action: str, data: dict[str, str]
) -> None:
    response = client_for(viewer).post(f"/en/incidents/{incident.ref}/{action}", data)
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == "investigating"
    assert incident.timeline.count() == 1
    assert not RoleAssignment.objects.exists() and not Task.objects.exists()


def test_a_viewer_cannot_edit_an_entry(viewer: User, responder: User, incident: Incident) -> None:
    event = services.add_timeline_event(incident, actor=responder, body="x")
    url = f"/en/incidents/{incident.ref}/timeline/{event.pk}/edit/"
    assert client_for(viewer).get(url).status_code == 403
    assert client_for(viewer).post(url, {"body": "y"}).status_code == 403


def test_an_action_address_opened_directly_leads_to_the_page(
    responder_client: Client, incident: Incident
) -> None:
    response = responder_client.get(f"/en/incidents/{incident.ref}/timeline/")
    assert response.status_code == 302
    assert response["Location"] == f"/en/incidents/{incident.ref}/"


def test_the_page_follows_the_live_update_contract(
    responder_client: Client, incident: Incident
) -> None:
    html = page(responder_client, incident)
    assert f'data-live-events="/live/incidents/{incident.pk}/events"' in html
    assert '<script type="module" src="/static/hotwash/live.js"></script>' in html
    assert '<p id="live-status" role="status" aria-live="polite" class="visually-hidden">' in html
    for region in ("header", "roles", "timeline", "tasks", "participants"):
        assert html.count(f'data-live-region="{region}"') == 1
    # Forms people type into stay outside the regions live.js replaces.
    timeline = html.split('data-live-region="timeline"')[1].split('id="add-entry"')[0]
    assert "<textarea" not in timeline


def test_a_live_refresh_leaves_messages_for_the_page_they_belong_to(
    responder_client: Client, incident: Incident
) -> None:
    responder_client.post(f"/en/incidents/{incident.ref}/timeline/", {"body": "hello"})
    live = responder_client.get(f"/en/incidents/{incident.ref}/", HTTP_X_HOTWASH_LIVE="1")
    assert "Added to the timeline." not in live.content.decode()
    assert "Added to the timeline." in page(responder_client, incident)


def test_the_page_costs_the_same_queries_however_long_the_timeline(
    responder_client: Client, responder: User, other_responder: User, incident: Incident
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(responder_client, incident)
        return len(captured)

    services.add_timeline_event(incident, actor=responder, body="first")
    few = queries()
    for n in range(15):
        event = services.add_timeline_event(incident, actor=other_responder, body=f"n{n}")
        services.edit_timeline_event(event, actor=responder, body=f"n{n}!")
        services.add_task(incident, actor=responder, title=f"t{n}", assignee=other_responder)
    services.assign_role(incident, actor=responder, role="scribe", user=other_responder)
    services.assign_role(incident, actor=responder, role="scribe", user=responder)
    assert queries() == few


# --- links back to the monitoring source and the alert groups (issue 14) --------


def test_the_monitoring_source_is_a_link_and_other_schemes_stay_text(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    source = "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
    services.record_system_event(
        incident,
        kind=TimelineKind.ALERT,
        data={"event": "firing", "alertname": "InstanceDown", "labels": {}, "url": source},
    )
    services.add_timeline_event(
        incident, actor=responder, body="Not a link: javascript:alert(1) or ftp://files/x"
    )
    services.update_incident(
        incident, actor=responder, changes={"summary": "Dashboard: https://grafana.example/d/1"}
    )
    html = page(responder_client, incident)
    href = source.replace("&", "&amp;")
    assert f'Source: <a href="{href}" rel="noopener noreferrer">{href}</a>' in html
    assert '<a href="https://grafana.example/d/1" rel="noopener noreferrer">' in html
    assert "javascript:alert(1) or ftp://files/x" in html
    assert 'href="javascript:' not in html and 'href="ftp:' not in html


def test_the_incident_links_to_its_alert_groups(
    responder_client: Client, incident: Incident
) -> None:
    now = timezone.now()
    source = AlertSource.objects.create(
        name="am", kind="alertmanager", digest="d" * 64, prefix="p", created_at=now
    )
    group = AlertGroup.objects.create(
        source=source,
        group_key="g1",
        labels={"alertname": "InstanceDown"},
        first_fired_at=now,
        last_notified_at=now,
        updated_at=now,
        incident=incident,
    )
    html = page(responder_client, incident)
    assert "<dt>Alert groups</dt>" in html
    assert f'<a href="/en/alerts/groups/{group.pk}/">InstanceDown</a>' in html
    french = responder_client.get(f"/fr/incidents/{incident.ref}/").content.decode()
    assert "<dt>Groupes d\u2019alertes</dt>" in french


# --- layout: action items readable in the side column, timeline first (issue 14) --


def test_action_items_are_cards_with_every_fact(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    create_action_item(
        actor=responder, title="Alert on checkout errors", owner=responder, incident=incident
    )
    html = page(responder_client, incident)
    panel = html.split('id="action-items"')[1].split("</section>")[0]
    assert "<table" not in panel
    assert 'class="ai-card"' in panel
    for label in ("Owner", "Due", "Status", "Priority", "Team"):
        assert f"<dt>{label}</dt>" in panel


def test_the_timeline_comes_before_the_side_panels(
    responder_client: Client, incident: Incident
) -> None:
    html = page(responder_client, incident)
    positions = [
        html.index(f'id="{name}"')
        for name in ("timeline", "add-entry", "roles", "tasks", "action-items", "participants")
    ]
    assert positions == sorted(positions)

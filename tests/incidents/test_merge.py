"""Merging a duplicate incident into another: what moves, what stays, what
is refused, and where alerts go afterwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import translation

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_api_token, create_user
from hotwash.actions.services import create_action_item
from hotwash.alerts.models import AlertGroup, AlertSource
from hotwash.core.models import AuditRecord
from hotwash.incidents import linking
from hotwash.incidents import services as incidents
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import (
    Incident,
    IncidentLink,
    Participant,
    Status,
    Task,
    TimelineEvent,
    TimelineKind,
)
from hotwash.live import bus
from hotwash.live.bus import hub
from hotwash.notifications.follows import follow, is_following
from hotwash.notifications.models import Follow
from tests.support import triggers as support
from tests.support.triggers import T0, alert, send

_fresh_claims, source = support._fresh_claims, support.source

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)}")


@pytest.fixture
def survivor(responder: User) -> Incident:
    return incidents.declare_incident(actor=responder, title="Checkout down", severity=2)


@pytest.fixture
def duplicate(other_responder: User) -> Incident:
    """Declared by someone else, with a note, a task and a follower."""
    incident = incidents.declare_incident(actor=other_responder, title="Payments failing")
    incidents.add_timeline_event(incident, actor=other_responder, body="Card payments fail")
    incidents.add_task(incident, actor=other_responder, title="Call the payment provider")
    return incident


def merge(client: Client, duplicate: Incident, into: str) -> Any:
    return post(client, f"/api/v1/incidents/{duplicate.ref}/merge", {"into": into})


# --- what moves ----------------------------------------------------------------------


def test_it_merges_and_answers_with_the_survivor(
    api: Client, duplicate: Incident, survivor: Incident
) -> None:
    response = merge(api, duplicate, survivor.ref)

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["id"] == survivor.ref
    assert data["merged"] is False
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk
    assert duplicate.status == Status.CLOSED
    assert duplicate.closed_at is not None
    # The duplicate stays readable, with its pointer.
    read = api.get(f"/api/v1/incidents/{duplicate.ref}").json()
    assert (read["status"], read["merged"], read["merged_into"]) == ("closed", True, survivor.ref)


def test_timeline_entries_move_marked_keeping_their_times_and_authors(
    responder: User, other_responder: User, duplicate: Incident, survivor: Incident
) -> None:
    note = duplicate.timeline.get(kind=TimelineKind.NOTE)

    linking.merge_incidents(duplicate, actor=responder, into=survivor)

    moved = TimelineEvent.objects.get(pk=note.pk)
    assert moved.incident_id == survivor.pk
    assert (moved.occurred_at, moved.recorded_at) == (note.occurred_at, note.recorded_at)
    assert moved.author == other_responder
    assert moved.body == "Card payments fail"
    assert moved.data["moved_from"] == duplicate.pk
    declared = survivor.timeline.filter(kind=TimelineKind.DECLARED)
    assert {e.data.get("moved_from") for e in declared} == {None, duplicate.pk}
    # What the duplicate keeps: the merge and its closing.
    kept = [e.kind for e in duplicate.timeline.all()]
    assert kept[:2] == [TimelineKind.MERGE, TimelineKind.STATUS]
    assert TimelineKind.NOTE not in kept


def test_both_incidents_say_so_in_both_languages(
    responder: User, duplicate: Incident, survivor: Incident
) -> None:
    linking.merge_incidents(duplicate, actor=responder, into=survivor)

    on_survivor = describe_event(survivor.timeline.get(kind=TimelineKind.MERGE))
    on_duplicate = describe_event(duplicate.timeline.get(kind=TimelineKind.MERGE))
    assert on_survivor.startswith(f"{duplicate.ref} was merged into this incident as a duplicate")
    assert on_duplicate.startswith(f"Merged into {survivor.ref} as a duplicate and closed")
    with translation.override("fr"):
        on_survivor = describe_event(survivor.timeline.get(kind=TimelineKind.MERGE))
        assert on_survivor.startswith(f"{duplicate.ref} a été fusionné dans cet incident")


def test_participants_tasks_and_action_items_move_once(
    responder: User, other_responder: User, duplicate: Incident, survivor: Incident
) -> None:
    incidents.add_participant(survivor, actor=responder, user=other_responder)
    newcomer = create_user("nadia", password="correct horse 42", role=Role.RESPONDER)
    incidents.add_participant(duplicate, actor=other_responder, user=newcomer)
    item = create_action_item(
        actor=other_responder,
        title="Retry card payments",
        owner=other_responder,
        incident=duplicate,
    )

    linking.merge_incidents(duplicate, actor=responder, into=survivor)

    people = Participant.objects.filter(incident=survivor).values_list("user__username", flat=True)
    assert sorted(people) == ["amira", "nadia", "sam"]
    assert Task.objects.get().incident_id == survivor.pk
    item.refresh_from_db()
    assert item.incident_id == survivor.pk
    assert AuditRecord.objects.filter(action="action_item.moved", object_id=str(item.pk)).exists()


def test_links_move_and_those_between_the_two_are_dropped(
    responder: User, duplicate: Incident, survivor: Incident
) -> None:
    cause = incidents.declare_incident(actor=responder, title="Database failover")
    other = incidents.declare_incident(actor=responder, title="Mail delayed")
    linking.link_incidents(duplicate, actor=responder, to=cause, kind="caused_by")
    linking.link_incidents(duplicate, actor=responder, to=survivor, kind="related")
    linking.link_incidents(other, actor=responder, to=duplicate, kind="related")
    linking.link_incidents(survivor, actor=responder, to=other, kind="related")

    linking.merge_incidents(duplicate, actor=responder, into=survivor)

    links = {(x.source_id, x.target_id, x.kind) for x in IncidentLink.objects.all()}
    assert links == {(survivor.pk, cause.pk, "caused_by"), (survivor.pk, other.pk, "related")}


def test_the_duplicate_gets_no_postmortem_of_its_own(
    responder: User, other_responder: User, survivor: Incident
) -> None:
    # A SEV1 closing would draft one; closing it as a duplicate does not.
    sev1 = incidents.declare_incident(actor=other_responder, title="Everything down", severity=1)

    linking.merge_incidents(sev1, actor=responder, into=survivor)

    assert not hasattr(Incident.objects.get(pk=sev1.pk), "postmortem")


def test_followers_follow_the_survivor(
    responder: User, viewer: User, duplicate: Incident, survivor: Incident
) -> None:
    follow(viewer, duplicate)

    linking.merge_incidents(duplicate, actor=responder, into=survivor)

    assert is_following(viewer, survivor)
    assert Follow.objects.filter(incident=duplicate).count() == 1


def test_it_writes_audit_records_on_both(
    responder: User, duplicate: Incident, survivor: Incident
) -> None:
    linking.merge_incidents(duplicate, actor=responder, into=survivor)

    merged = AuditRecord.objects.get(action="incident.merged")
    assert merged.object_id == str(duplicate.pk)
    assert merged.changes["into"] == survivor.ref
    assert merged.changes["moved"] == {"entries": 2, "tasks": 1, "participants": 1, "links": 0}
    received = AuditRecord.objects.get(action="incident.merge_received")
    assert received.object_id == str(survivor.pk)


def test_an_earlier_duplicate_points_to_the_new_survivor(
    responder: User, duplicate: Incident, survivor: Incident
) -> None:
    first = incidents.declare_incident(actor=responder, title="Payments slow")
    linking.merge_incidents(first, actor=responder, into=duplicate)

    linking.merge_incidents(duplicate, actor=responder, into=survivor)

    assert Incident.objects.get(pk=first.pk).merged_into_id == survivor.pk
    entry = survivor.timeline.filter(data__moved_from=first.pk).first()
    assert entry is not None  # an entry moved twice still names where it was written


# --- what is refused -------------------------------------------------------------------


def test_merging_into_itself_is_422(api: Client, duplicate: Incident) -> None:
    response = merge(api, duplicate, duplicate.ref)

    assert response.status_code == 422
    assert response.json()["message"] == "An incident cannot be merged into itself."
    assert response.json()["field"] == "into"


def test_merging_twice_or_into_a_merged_incident_is_409(
    api: Client, responder: User, duplicate: Incident, survivor: Incident
) -> None:
    linking.merge_incidents(duplicate, actor=responder, into=survivor)
    third = incidents.declare_incident(actor=responder, title="Shop slow")

    again = merge(api, duplicate, third.ref)
    into_merged = merge(api, third, duplicate.ref)

    assert again.status_code == into_merged.status_code == 409
    assert again.json()["message"] == f"{duplicate.ref} was already merged into {survivor.ref}."
    assert into_merged.json()["message"] == (
        f"{duplicate.ref} was itself merged into {survivor.ref}: merge into that one instead."
    )
    assert Incident.objects.get(pk=third.pk).merged_into_id is None


def test_a_private_incident_is_not_merged_into_a_public_one(
    api: Client, responder: User, survivor: Incident
) -> None:
    private = incidents.declare_incident(actor=responder, title="Leaked keys", private=True)
    incidents.add_timeline_event(private, actor=responder, body="Rotated the keys")

    response = merge(api, private, survivor.ref)

    assert response.status_code == 409
    assert "would show the private incident's timeline" in response.json()["message"]
    assert private.timeline.count() == 2
    assert Incident.objects.get(pk=private.pk).merged_into_id is None


def test_a_public_incident_may_merge_into_a_private_one(
    api: Client, responder: User, duplicate: Incident
) -> None:
    private = incidents.declare_incident(actor=responder, title="Leaked keys", private=True)

    response = merge(api, duplicate, private.ref)

    assert response.status_code == 200
    assert response.json()["private"] is True
    # Its people now see the incident their work moved to.
    assert Participant.objects.filter(incident=private, user__username="sam").exists()


def test_an_incident_the_caller_cannot_see_is_404_and_nothing_moves(
    api: Client, other_responder: User, duplicate: Incident
) -> None:
    secret = incidents.declare_incident(actor=other_responder, title="Leaked keys", private=True)
    incidents.add_timeline_event(secret, actor=other_responder, body="Rotated the keys")

    into_secret = merge(api, duplicate, secret.ref)
    from_secret = merge(api, secret, duplicate.ref)

    assert into_secret.status_code == from_secret.status_code == 404
    assert into_secret.json()["message"] == f"No incident {secret.ref}."
    assert duplicate.timeline.count() == 2
    assert secret.timeline.count() == 2
    assert not Incident.objects.filter(merged_into__isnull=False).exists()


def test_viewers_cannot_merge(viewer: User, duplicate: Incident, survivor: Incident) -> None:
    response = merge(token_client(viewer), duplicate, survivor.ref)

    assert response.status_code == 403
    assert Incident.objects.get(pk=duplicate.pk).merged_into_id is None


def test_the_pointer_to_a_hidden_survivor_names_nothing(
    admin_user: User, responder: User, duplicate: Incident
) -> None:
    hidden = incidents.declare_incident(actor=admin_user, title="Leaked keys", private=True)
    linking.merge_incidents(duplicate, actor=admin_user, into=hidden)
    outsider = create_user("otto", password="correct horse 42", role=Role.RESPONDER)

    read = token_client(outsider).get(f"/api/v1/incidents/{duplicate.ref}").json()
    client = Client()
    client.force_login(outsider)
    page = client.get(f"/en/incidents/{duplicate.ref}/").content.decode()

    assert (read["merged"], read["merged_into"]) == (True, None)
    assert "Merged into another incident" in page
    assert hidden.ref not in page
    assert "Leaked" not in page


# --- alerts ------------------------------------------------------------------------------


@pytest.fixture
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.mark.usefixtures("_clock")
def test_an_alert_group_of_the_duplicate_fires_again_into_the_survivor(
    source: AlertSource, responder: User
) -> None:
    send(source, alert(service="shop", severity="critical", instance="a", group="shop"))
    send(source, alert("PayDown", service="pay", severity="critical", group="pay"))
    shop = AlertGroup.objects.get(group_key="shop")
    pay = AlertGroup.objects.get(group_key="pay")
    assert shop.incident_id != pay.incident_id
    assert pay.incident_id is not None and shop.incident_id is not None
    duplicate = Incident.objects.get(pk=pay.incident_id)
    survivor = Incident.objects.get(pk=shop.incident_id)

    linking.merge_incidents(duplicate, actor=responder, into=survivor)
    assert AlertGroup.objects.get(pk=pay.pk).incident_id == survivor.pk
    before = survivor.timeline.filter(kind=TimelineKind.ALERT).count()

    # A new alert of the duplicate's group joins the survivor.
    send(
        source,
        alert("PayDown", service="pay", severity="critical", instance="b", group="pay"),
        now=T0 + timedelta(minutes=5),
    )

    assert survivor.timeline.filter(kind=TimelineKind.ALERT).count() == before + 1
    assert not duplicate.timeline.filter(kind=TimelineKind.ALERT).exists()
    assert Incident.objects.count() == 2
    assert Incident.objects.get(pk=duplicate.pk).status == Status.CLOSED


@pytest.mark.usefixtures("_clock")
def test_a_group_left_pointing_at_a_merged_incident_follows_it(
    source: AlertSource, responder: User
) -> None:
    send(source, alert("PayDown", service="pay", severity="critical", group="pay"))
    group = AlertGroup.objects.get()
    assert group.incident_id is not None
    duplicate = Incident.objects.get(pk=group.incident_id)
    survivor = incidents.declare_incident(actor=responder, title="Checkout down")
    linking.merge_incidents(duplicate, actor=responder, into=survivor)
    # As if its notification had been processed while the merge ran.
    AlertGroup.objects.filter(pk=group.pk).update(incident=duplicate)

    send(
        source,
        alert("PayDown", service="pay", severity="critical", instance="b", group="pay"),
        now=T0 + timedelta(minutes=5),
    )

    assert AlertGroup.objects.get(pk=group.pk).incident_id == survivor.pk
    assert survivor.timeline.filter(kind=TimelineKind.ALERT, data__moved_from__isnull=True).exists()


# --- the pages ---------------------------------------------------------------------------


def test_the_merge_page_says_what_will_move_then_merges(
    responder_client: Client, duplicate: Incident, survivor: Incident
) -> None:
    preview = responder_client.get(f"/en/incidents/{duplicate.ref}/merge/?into={survivor.ref}")

    text = preview.content.decode()
    assert preview.status_code == 200
    assert "2 timeline entries, marked as moved" in text
    assert "1 task" in text
    assert f"Merge {duplicate.ref} into {survivor.ref}" in text
    assert Incident.objects.get(pk=duplicate.pk).merged_into_id is None

    done = responder_client.post(
        f"/en/incidents/{duplicate.ref}/merge/", {"into": survivor.ref, "confirm": "1"}
    )

    assert done.status_code == 302
    assert done["Location"] == f"/en/incidents/{survivor.ref}/"
    assert Incident.objects.get(pk=duplicate.pk).merged_into_id == survivor.pk


def test_the_merge_page_shows_a_refusal_beside_the_field(
    responder_client: Client, duplicate: Incident
) -> None:
    response = responder_client.get(f"/en/incidents/{duplicate.ref}/merge/?into={duplicate.ref}")

    assert response.status_code == 422
    assert "An incident cannot be merged into itself." in response.content.decode()


def test_the_pages_point_both_ways_and_mark_moved_entries(
    responder_client: Client, responder: User, duplicate: Incident, survivor: Incident
) -> None:
    linking.merge_incidents(duplicate, actor=responder, into=survivor)

    old = responder_client.get(f"/en/incidents/{duplicate.ref}/").content.decode()
    new = responder_client.get(f"/en/incidents/{survivor.ref}/").content.decode()

    assert f'Merged into <a href="/en/incidents/{survivor.ref}/">{survivor.ref}</a>' in old
    assert "Merged duplicates" in new
    assert f'Moved here from <a href="/en/incidents/{duplicate.ref}/">{duplicate.ref}</a>.' in new


def test_viewers_get_no_merge_page(viewer: User, duplicate: Incident) -> None:
    client = Client()
    client.force_login(viewer)

    assert client.get(f"/en/incidents/{duplicate.ref}/merge/").status_code == 403


# --- live pages --------------------------------------------------------------------------


def test_live_pages_of_both_hear_of_the_merge(transactional_db: None, responder: User) -> None:
    survivor = incidents.declare_incident(actor=responder, title="Checkout down")
    duplicate = incidents.declare_incident(actor=responder, title="Payments failing")
    bus.ensure_listener()
    with hub.subscribe(survivor.pk) as on_survivor, hub.subscribe(duplicate.pk) as on_duplicate:
        linking.merge_incidents(duplicate, actor=responder, into=survivor)

        assert on_survivor.get(timeout=5)["incident"] == survivor.pk
        assert on_duplicate.get(timeout=5)["incident"] == duplicate.pk


# --- races ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="races need concurrent writers (PostgreSQL)"
)
def test_merging_a_pair_both_ways_at_once_merges_it_once(responder: User) -> None:
    one = incidents.declare_incident(actor=responder, title="Checkout down")
    two = incidents.declare_incident(actor=responder, title="Payments failing")
    token = create_api_token(responder)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def merge_into(pair: tuple[Incident, Incident]) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
        try:
            barrier.wait(timeout=10)
            statuses.append(merge(client, pair[0], pair[1].ref).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=merge_into, args=(p,)) for p in ((one, two), (two, one))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # The second waits on the rows' locks, then finds the first's merge.
    assert sorted(statuses) == [200, 409]
    merged = Incident.objects.filter(merged_into__isnull=False)
    assert merged.count() == 1
    assert merged.get().merged_into_id in (one.pk, two.pk)

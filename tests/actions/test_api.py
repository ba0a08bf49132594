from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from hotwash.accounts.services import create_api_token
from hotwash.actions import services
from hotwash.actions.models import ActionItem
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident, TimelineEvent, TimelineKind
from hotwash.postmortems.models import Postmortem
from hotwash.teams.models import Team

pytestmark = pytest.mark.django_db

URL = "/api/v1/action-items"
NOW = "2026-03-02 10:00:00+00:00"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def post(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def patch(client: Client, url: str, data: Any) -> Any:
    return client.patch(url, data, content_type="application/json")


def token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)}")


@pytest.fixture
def incident(responder: User) -> Incident:
    return incidents.declare_incident(actor=responder, title="Checkout fails", severity=1)


def _item(actor: User, incident: Incident | None = None, **fields: Any) -> ActionItem:
    fields.setdefault("owner", actor)
    fields.setdefault("title", "Add an alert")
    return services.create_action_item(actor=actor, incident=incident, **fields)


# --- create -----------------------------------------------------------------


def test_it_creates_an_item(
    api: Client, responder: User, other_responder: User, incident: Incident
) -> None:
    response = post(
        api,
        URL,
        {"title": "Alert on errors", "owner": "sam", "incident": incident.ref, "priority": "high"},
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    item = ActionItem.objects.get()
    assert data["id"] == f"AI-{item.pk}" and data["number"] == item.pk
    assert data["owner"] == "sam" and data["owner_name"] == "Sam"
    # SEV1: due in 15 days by default.
    assert data["due"] == "2026-03-17"
    assert data["overdue"] is False
    assert (data["status"], data["priority"], data["kind"]) == ("open", "high", "prevent")
    assert data["status_name"] == "Open"
    assert data["incident"] == incident.ref and data["postmortem"] is None
    assert data["created_by"] == "amira"
    assert data["url"] == f"http://testserver/en/action-items/{item.pk}/"
    assert incident.timeline.filter(kind=TimelineKind.ACTION_ITEM).count() == 1


def test_it_creates_an_item_from_a_postmortem(api: Client, incident: Incident) -> None:
    now = timezone.now()
    pm = Postmortem.objects.create(
        incident=incident, template="default", title="PM", created_at=now, updated_at=now
    )
    response = post(
        api, URL, {"title": "Runbook", "owner": "amira", "postmortem": pm.ref, "due": "2026-04-01"}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["postmortem"] == pm.ref
    assert response.json()["incident"] == incident.ref


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": None}, "owner"),
        ({"owner": ""}, "owner"),
        ({"owner": "nobody"}, "owner"),
        ({"due": "2026-03-01"}, "due"),
        ({"due": "tomorrow"}, "due"),
        ({"priority": "critical"}, "priority"),
        ({"kind": "blame"}, "kind"),
        ({"title": ""}, "title"),
        ({"incident": None}, "incident"),
        ({"postmortem": "x"}, "postmortem"),
        ({"team": "nope"}, "team"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_changes_nothing(
    api: Client, incident: Incident, body: dict[str, Any], field: str
) -> None:
    entries = TimelineEvent.objects.count()
    payload = {"title": "Alert", "owner": "amira", "incident": incident.ref, **body}
    response = post(api, URL, payload)
    assert response.status_code == 422, response.json()
    assert response.json()["field"] == field
    assert response.json()["message"]
    assert not ActionItem.objects.exists()
    assert TimelineEvent.objects.count() == entries


def test_a_missing_owner_is_422(api: Client, incident: Incident) -> None:
    response = post(api, URL, {"title": "Alert", "incident": incident.ref})
    assert response.status_code == 422
    assert response.json()["field"] == "owner"
    assert "owner" in response.json()["message"]


def test_an_unknown_owner_is_named(api: Client, incident: Incident) -> None:
    response = post(api, URL, {"title": "Alert", "owner": "ghost", "incident": incident.ref})
    assert "ghost" in response.json()["message"]


def test_an_unknown_incident_is_404(api: Client, responder: User) -> None:
    response = post(api, URL, {"title": "Alert", "owner": "amira", "incident": "INC-999"})
    assert response.status_code == 404


def test_viewers_cannot_create(viewer: User, incident: Incident) -> None:
    response = post(
        token_client(viewer), URL, {"title": "x", "owner": "victor", "incident": incident.ref}
    )
    assert response.status_code == 403
    assert not ActionItem.objects.exists()


def test_anonymous_requests_are_401(db: None) -> None:
    assert Client().get(URL).status_code == 401
    assert post(Client(), URL, {"title": "x"}).status_code == 401
    assert Client().get(f"{URL}/1").status_code == 401


def test_messages_follow_the_requested_language(api: Client, incident: Incident) -> None:
    response = api.post(
        URL,
        {"title": "x", "owner": "ghost", "incident": incident.ref},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 422
    assert "ghost" in response.json()["message"]
    assert "aucun utilisateur actif" in response.json()["message"]


# --- read and list ------------------------------------------------------------


def test_it_reads_an_item_by_reference_or_number(
    api: Client, responder: User, incident: Incident
) -> None:
    item = _item(responder, incident)
    for ref in (item.ref, str(item.pk), item.ref.lower()):
        response = api.get(f"{URL}/{ref}")
        assert response.status_code == 200
        assert response.json()["id"] == item.ref
    assert api.get(f"{URL}/AI-999").status_code == 404
    assert api.get(f"{URL}/nonsense").status_code == 404


def test_items_of_a_private_incident_are_404_to_outsiders(
    responder: User, other_responder: User, admin_user: User
) -> None:
    secret = incidents.declare_incident(actor=responder, title="Leak", private=True)
    item = _item(responder, secret)
    outsider = token_client(other_responder)
    assert outsider.get(f"{URL}/{item.ref}").status_code == 404
    assert outsider.get(URL).json()["items"] == []
    assert patch(outsider, f"{URL}/{item.ref}", {"status": "done"}).status_code == 404
    assert token_client(admin_user).get(f"{URL}/{item.ref}").status_code == 200


def test_the_list_filters(
    api: Client, responder: User, other_responder: User, viewer: User, incident: Incident
) -> None:
    team = Team.objects.create(name="Payments", slug="payments")
    other = incidents.declare_incident(actor=responder, title="Other", severity=3)
    mine = _item(responder, incident, title="Mine")
    theirs = _item(responder, other, owner=other_responder, title="Theirs", team=team)
    done = _item(responder, incident, title="Done")
    services.update_action_item(done, actor=responder, changes={"status": "done"})
    late = _item(responder, incident, title="Late", due_on="2026-03-03")
    with time_machine.travel("2026-03-05 10:00:00+00:00", tick=False):

        def refs(**params: Any) -> list[str]:
            response = api.get(URL, params)
            assert response.status_code == 200, response.json()
            return [item["id"] for item in response.json()["items"]]

        assert refs() == [late.ref, mine.ref, done.ref, theirs.ref]
        assert refs(owner="sam") == [theirs.ref]
        assert refs(mine="true") == [late.ref, mine.ref, done.ref]
        assert refs(team="payments") == [theirs.ref]
        assert refs(status="done") == [done.ref]
        assert refs(status="active") == [late.ref, mine.ref, theirs.ref]
        assert refs(status="open,done") == [late.ref, mine.ref, done.ref, theirs.ref]
        assert refs(overdue="true") == [late.ref]
        assert refs(incident=other.ref) == [theirs.ref]
        assert refs(sort="-created") == [late.ref, done.ref, theirs.ref, mine.ref]
        assert api.get(URL, {"overdue": "true"}).json()["items"][0]["overdue"] is True


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"status": "finished"}, 422, "status"),
        ({"team": "nope"}, 422, "team"),
        ({"sort": "random"}, 422, "sort"),
        ({"overdue": "maybe"}, 422, "overdue"),
        ({"incident": "INC-999"}, 404, "incident"),
        ({"postmortem": "PM-999"}, 404, "postmortem"),
        ({"per_page": "500"}, 422, "per_page"),
    ],
)
def test_bad_filters_are_refused_naming_them(
    api: Client, responder: User, params: dict[str, str], status: int, field: str
) -> None:
    response = api.get(URL, params)
    assert response.status_code == status
    assert response.json()["field"] == field


def test_the_list_is_paginated_like_incidents(
    api: Client, responder: User, incident: Incident
) -> None:
    for number in range(5):
        _item(responder, incident, title=f"Item {number}")
    first = api.get(URL, {"per_page": 2}).json()
    assert first["count"] == 5 and first["count_exact"] is True
    assert len(first["items"]) == 2 and first["page"] == 1
    assert first["next"].endswith("page=2") and first["previous"] is None
    last = api.get(URL, {"per_page": 2, "page": 3}).json()
    assert len(last["items"]) == 1 and last["next"] is None


def test_a_page_costs_a_fixed_number_of_queries(
    api: Client,
    responder: User,
    incident: Incident,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    team = Team.objects.create(name="Payments", slug="payments")
    for number in range(30):
        _item(responder, incident, title=f"Item {number}", team=team)
    with django_assert_max_num_queries(8):
        assert len(api.get(URL).json()["items"]) == 30


# --- changes ------------------------------------------------------------------


def test_it_patches_only_the_fields_sent(api: Client, responder: User, incident: Incident) -> None:
    item = _item(responder, incident, description="Keep me")
    response = patch(api, f"{URL}/{item.ref}", {"due": "2026-05-01", "priority": "urgent"})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["due"] == "2026-05-01" and data["priority"] == "urgent"
    assert data["description"] == "Keep me"
    audit = AuditRecord.objects.get(action="action_item.updated")
    assert set(audit.changes) == {"due_on", "priority"}


def test_status_changes_through_patch(api: Client, responder: User, incident: Incident) -> None:
    item = _item(responder, incident)
    data = patch(api, f"{URL}/{item.ref}", {"status": "done"}).json()
    assert data["status"] == "done" and data["done_at"] is not None
    data = patch(api, f"{URL}/{item.ref}", {"status": "open"}).json()
    assert data["done_at"] is None
    response = patch(api, f"{URL}/{item.ref}", {"status": "wont_do"})
    assert response.status_code == 422 and response.json()["field"] == "reason"
    data = patch(api, f"{URL}/{item.ref}", {"status": "wont_do", "reason": "Retired."}).json()
    assert data["status"] == "wont_do" and data["reason"] == "Retired."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "finished"}, "status"),
        ({"owner": None}, "owner"),
        ({"owner": "nobody"}, "owner"),
        ({"due": None}, "due"),
        ({"title": ""}, "title"),
        ({"created_at": "2026-01-01"}, "created_at"),
    ],
)
def test_a_bad_patch_is_422_and_changes_nothing(
    api: Client, responder: User, incident: Incident, body: dict[str, Any], field: str
) -> None:
    item = _item(responder, incident)
    response = patch(api, f"{URL}/{item.ref}", {"priority": "low", **body})
    assert response.status_code == 422
    assert response.json()["field"] == field
    item.refresh_from_db()
    assert item.priority == "medium"


def test_the_owner_can_mark_their_item_done_but_not_edit_it(
    responder: User, viewer: User, other_responder: User, incident: Incident
) -> None:
    item = _item(responder, incident, owner=viewer)
    owner = token_client(viewer)
    assert patch(owner, f"{URL}/{item.ref}", {"status": "done"}).status_code == 200
    assert patch(owner, f"{URL}/{item.ref}", {"due": "2026-06-01"}).status_code == 403
    other = _item(responder, incident)
    assert patch(owner, f"{URL}/{other.ref}", {"status": "done"}).status_code == 403
    # Viewers still read everything they can see.
    assert owner.get(URL).json()["count"] == 2


def test_overdue_is_judged_in_the_callers_time_zone(
    api: Client, responder: User, incident: Incident
) -> None:
    item = _item(responder, incident, due_on=date(2026, 3, 2))
    responder.profile.timezone = "Pacific/Auckland"
    responder.profile.save()
    # 2026-03-02 23:00 UTC is already 3 March in Auckland.
    with time_machine.travel("2026-03-02 23:00:00+00:00", tick=False):
        assert api.get(f"{URL}/{item.ref}").json()["overdue"] is True
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False):
        assert api.get(f"{URL}/{item.ref}").json()["overdue"] is False

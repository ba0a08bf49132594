"""Action item pages: my items, filtered lists, the item page, creating,
status changes, the embeddable block, accessibility, French."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from pytest_django import DjangoAssertNumQueries

from hotwash.actions import services
from hotwash.actions.models import ActionItem, Status
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident, TimelineKind
from hotwash.postmortems.models import Postmortem
from hotwash.teams.models import Team

pytestmark = pytest.mark.django_db

NOW = "2026-03-02 10:00:00+00:00"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _item(actor: User, incident: Incident, **fields: Any) -> ActionItem:
    fields.setdefault("owner", actor)
    fields.setdefault("title", "Add an alert")
    return services.create_action_item(actor=actor, incident=incident, **fields)


def titles(html: str) -> list[str]:
    return re.findall(r'class="ai-items__title"><a href="[^"]+">([^<]+)</a>', html)


def page(client: Client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, path
    return response.content.decode()


# --- lists ------------------------------------------------------------------


def test_the_default_view_is_my_items_still_to_do(
    responder_client: Client, responder: User, other_responder: User, incident: Incident
) -> None:
    _item(responder, incident, title="Mine")
    done = _item(responder, incident, title="Mine, done")
    services.update_action_item(done, actor=responder, changes={"status": "done"})
    _item(responder, incident, title="Theirs", owner=other_responder)
    html = page(responder_client, "/en/action-items/")
    assert "<h1>My action items</h1>" in html
    assert titles(html) == ["Mine"]
    html = page(responder_client, "/en/action-items/?status=active")
    assert "<h1>Action items</h1>" in html
    assert titles(html) == ["Mine", "Theirs"]


def test_lists_per_person_team_incident_and_postmortem(
    responder_client: Client, responder: User, other_responder: User, incident: Incident
) -> None:
    team = Team.objects.create(name="Payments", slug="payments")
    other = incidents.declare_incident(actor=responder, title="Other")
    now = timezone.now()
    pm = Postmortem.objects.create(
        incident=other, template="default", title="PM", created_at=now, updated_at=now
    )
    _item(responder, incident, title="A")
    _item(responder, incident, title="B", owner=other_responder, team=team)
    services.create_action_item(actor=responder, title="C", owner=responder, postmortem=pm)
    assert titles(page(responder_client, "/en/action-items/?owner=sam")) == ["B"]
    assert titles(page(responder_client, "/en/action-items/?team=payments")) == ["B"]
    assert titles(page(responder_client, f"/en/action-items/?incident={incident.ref}")) == [
        "A",
        "B",
    ]
    assert titles(page(responder_client, f"/en/action-items/?postmortem={pm.pk}")) == ["C"]


def test_overdue_items_are_highlighted(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    _item(responder, incident, title="Late", due_on="2026-03-03")
    _item(responder, incident, title="Fine")
    with time_machine.travel("2026-03-05 10:00:00+00:00", tick=False):
        html = page(responder_client, "/en/action-items/")
        assert html.count('class="ai-row--overdue"') == 1
        assert '<span class="badge ai-overdue">Overdue</span>' in html
        assert titles(page(responder_client, "/en/action-items/?overdue=on")) == ["Late"]


def test_a_bad_filter_shows_the_error_on_its_field(responder_client: Client) -> None:
    html = page(responder_client, "/en/action-items/?status=finished", status=400)
    assert 'class="error-summary" role="alert"' in html
    assert "Unknown status finished" in html
    html = page(responder_client, "/en/action-items/?incident=INC-404", status=400)
    assert "No incident INC-404." in html


def test_items_of_a_private_incident_are_hidden(responder: User, other_responder: User) -> None:
    secret = incidents.declare_incident(actor=responder, title="Leak", private=True)
    item = _item(responder, secret, title="Secret follow-up")
    client = Client()
    client.force_login(other_responder)
    assert "Secret follow-up" not in page(client, "/en/action-items/?status=active")
    page(client, f"/en/action-items/{item.pk}/", status=404)


def test_the_list_costs_a_fixed_number_of_queries(
    responder_client: Client,
    responder: User,
    incident: Incident,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for number in range(20):
        _item(responder, incident, title=f"Item {number}")
    with django_assert_max_num_queries(14):
        assert len(titles(page(responder_client, "/en/action-items/"))) == 20


# --- one item ---------------------------------------------------------------


def test_the_item_page_shows_and_edits_the_item(
    responder_client: Client, responder: User, other_responder: User, incident: Incident
) -> None:
    item = _item(responder, incident, description="Page on 2% errors.")
    html = page(responder_client, f"/en/action-items/{item.pk}/")
    assert f"{item.ref}</span> Add an alert" in html
    assert "Page on 2% errors." in html
    assert "2026-04-01" in html
    form = {
        "title": "Add an alert",
        "initial-title": "Add an alert",
        "owner": "sam",
        "initial-owner": "amira",
        "due": "2026-04-01",
        "initial-due": "2026-04-01",
        "priority": "medium",
        "initial-priority": "medium",
        "kind": "prevent",
        "initial-kind": "prevent",
        "team": "",
        "initial-team": "",
        "description": "Page on 2% errors.",
        "initial-description": "Page on 2% errors.",
    }
    response = responder_client.post(f"/en/action-items/{item.pk}/edit/", form)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.owner == other_responder
    html = page(responder_client, f"/en/action-items/{item.pk}/")
    assert "Owner changed from Amira to Sam." in html


def test_an_edit_with_a_bad_owner_shows_the_error(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    item = _item(responder, incident)
    response = responder_client.post(
        f"/en/action-items/{item.pk}/edit/", {"owner": "ghost", "initial-owner": "amira"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "There is no active user named ghost" in html


def test_status_changes_from_the_page(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    item = _item(responder, incident)
    url = f"/en/action-items/{item.pk}/status/"
    response = responder_client.post(url, {"status": "wont_do", "reason": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Say why this action item will not be done." in html
    assert responder_client.post(url, {"status": "done"}).status_code == 302
    item.refresh_from_db()
    assert item.status == Status.DONE and item.done_at is not None
    assert incident.timeline.filter(kind=TimelineKind.ACTION_ITEM).count() == 2


def test_the_owner_can_change_the_status_but_not_edit(
    viewer: User, responder: User, incident: Incident
) -> None:
    item = _item(responder, incident, owner=viewer)
    client = Client()
    client.force_login(viewer)
    html = page(client, f"/en/action-items/{item.pk}/")
    assert "Change the status" in html and "Edit the action item" not in html
    assert client.post(f"/en/action-items/{item.pk}/status/", {"status": "done"}).status_code == 302
    assert client.post(f"/en/action-items/{item.pk}/edit/", {"title": "x"}).status_code == 403
    other = _item(responder, incident)
    assert "Change the status" not in page(client, f"/en/action-items/{other.pk}/")
    assert (
        client.post(f"/en/action-items/{other.pk}/status/", {"status": "done"}).status_code == 403
    )


# --- creating ---------------------------------------------------------------


def test_creating_from_an_incident(
    responder_client: Client, responder: User, other_responder: User, incident: Incident
) -> None:
    html = page(responder_client, f"/en/action-items/new/?incident={incident.ref}")
    assert "it will be due on 2026-04-01" in html
    assert '<option value="sam">Sam (sam)</option>' in html
    response = responder_client.post(
        "/en/action-items/new/",
        {"incident": incident.ref, "title": "Alert", "owner": "sam", "priority": "high"},
    )
    assert response.status_code == 302
    item = ActionItem.objects.get()
    assert response["Location"] == f"/en/action-items/{item.pk}/"
    assert (item.owner, item.priority, item.incident) == (other_responder, "high", incident)


def test_creating_from_a_postmortem(responder_client: Client, incident: Incident) -> None:
    now = timezone.now()
    pm = Postmortem.objects.create(
        incident=incident, template="default", title="PM", created_at=now, updated_at=now
    )
    assert "For postmortem" in page(responder_client, f"/en/action-items/new/?postmortem={pm.pk}")
    response = responder_client.post(
        "/en/action-items/new/", {"postmortem": str(pm.pk), "title": "Alert", "owner": "amira"}
    )
    assert response.status_code == 302
    assert ActionItem.objects.get().postmortem == pm


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"owner": ""}, "Every action item needs exactly one owner."),
        ({"owner": "ghost"}, "There is no active user named ghost"),
        ({"due": "2026-03-01"}, "is in the past"),
        ({"title": ""}, "Give the action item a title."),
    ],
)
def test_a_bad_creation_shows_the_error_and_creates_nothing(
    responder_client: Client, incident: Incident, data: dict[str, str], message: str
) -> None:
    form = {"incident": incident.ref, "title": "Alert", "owner": "amira", **data}
    response = responder_client.post("/en/action-items/new/", form)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert 'class="error-summary" role="alert"' in html
    assert not ActionItem.objects.exists()


def test_only_responders_create(viewer: User, incident: Incident) -> None:
    client = Client()
    client.force_login(viewer)
    page(client, f"/en/action-items/new/?incident={incident.ref}", status=403)


def test_the_create_form_needs_an_incident_or_postmortem(responder_client: Client) -> None:
    page(responder_client, "/en/action-items/new/", status=404)
    page(responder_client, "/en/action-items/new/?incident=INC-999", status=404)


# --- the embeddable block ---------------------------------------------------


def test_the_block_for_incident_and_postmortem_pages(
    responder: User, viewer: User, incident: Incident
) -> None:
    _item(responder, incident, title="Shown on the incident")
    request = RequestFactory().get("/en/")
    request.user = responder
    template = Template("{% load action_items %}{% action_items_for incident=incident %}")
    html = template.render(Context({"request": request, "incident": incident}))
    assert "Shown on the incident" in html
    assert f"/en/action-items/new/?incident={incident.ref}" in html
    request.user = viewer
    html = template.render(Context({"request": request, "incident": incident}))
    assert "Shown on the incident" in html
    assert "/en/action-items/new/" not in html


# --- accessibility and French ---------------------------------------------------


def test_pages_read_in_french(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    item = _item(responder, incident, due_on="2026-03-03")
    with time_machine.travel("2026-03-05 10:00:00+00:00", tick=False):
        html = page(responder_client, "/fr/action-items/")
        assert "<h1>Mes actions</h1>" in html
        assert "En retard" in html
        html = page(responder_client, f"/fr/action-items/{item.pk}/")
        assert "Modifier le statut" in html
        html = page(responder_client, "/fr/action-items/dashboard/")
        assert "Suivi des actions" in html
    with translation.override("fr"):
        entry = incident.timeline.get(kind=TimelineKind.ACTION_ITEM)
        from hotwash.incidents.display import describe_event

        assert describe_event(entry).startswith(f"Action {item.ref} créée")

"""Following an incident or a service: the button (without JavaScript), the
API, the preferences that choose which events reach a follower, and
privacy (a follower who cannot see an incident hears nothing of it)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token, create_user
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident, Service
from hotwash.incidents.services import add_participant, declare_incident, update_incident
from hotwash.notifications.follows import follow, follower_deliveries, is_following, unfollow
from hotwash.notifications.models import Event, Follow, NotificationPreference
from hotwash.notifications.preferences import update_notification_preferences

pytestmark = pytest.mark.django_db


@pytest.fixture
def noor(db: None) -> User:
    return create_user("noor", email="noor@example.org", password="correct horse 42")


@pytest.fixture
def shop(db: None) -> Service:
    return Service.objects.create(name="shop")


def signed_in(user: User, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    return client


def recipients(incident: Incident, type_: str) -> list[int]:
    event = Event.objects.filter(incident=incident, type=type_).latest("occurred_at")
    return [p.recipient_id for p in follower_deliveries(event) if p.recipient_id is not None]


def test_following_twice_is_following_once_and_each_change_is_audited(
    noor: User, shop: Service
) -> None:
    follow(noor, shop)
    follow(noor, shop)
    assert Follow.objects.filter(user=noor, service=shop).count() == 1
    assert is_following(noor, shop)
    assert unfollow(noor, shop) is True
    assert unfollow(noor, shop) is False
    assert not is_following(noor, shop)
    actions = list(
        AuditRecord.objects.filter(actor=noor).order_by("at").values_list("action", flat=True)
    )
    assert actions == ["notifications.followed", "notifications.unfollowed"]


def test_the_follow_button_works_without_javascript(responder: User, noor: User) -> None:
    incident = declare_incident(actor=responder, title="Checkout fails")
    client = signed_in(noor)
    page = client.get(f"/en/incidents/{incident.ref}/").content.decode()
    action = f'action="/en/notifications/follow/incidents/{incident.ref}/"'
    assert action in page
    assert "Follow <span" in page
    response = client.post(
        f"/en/notifications/follow/incidents/{incident.ref}/",
        {"follow": "1", "next": f"/en/incidents/{incident.ref}/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/en/incidents/{incident.ref}/"
    assert is_following(noor, incident)
    page = client.get(f"/en/incidents/{incident.ref}/").content.decode()
    assert "Unfollow <span" in page
    assert "You follow" in page
    # An outside `next` is not followed.
    response = client.post(
        f"/en/notifications/follow/incidents/{incident.ref}/",
        {"follow": "0", "next": "https://evil.example.org/"},
    )
    assert response["Location"] == f"/en/incidents/{incident.ref}/"
    assert not is_following(noor, incident)


def test_the_button_needs_the_csrf_token(responder: User, noor: User) -> None:
    incident = declare_incident(actor=responder, title="Checkout fails")
    client = signed_in(noor, enforce_csrf_checks=True)
    response = client.post(f"/en/notifications/follow/incidents/{incident.ref}/", {"follow": "1"})
    assert response.status_code == 403
    assert not Follow.objects.exists()


def test_a_private_incident_cannot_be_followed_by_someone_who_cannot_see_it(
    responder: User, noor: User
) -> None:
    incident = declare_incident(actor=responder, title="Breach", private=True)
    response = signed_in(noor).post(f"/en/notifications/follow/incidents/{incident.ref}/")
    assert response.status_code == 404
    token = create_api_token(noor, name="tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.post(f"/api/v1/incidents/{incident.ref}/follow").status_code == 404
    assert not Follow.objects.exists()


def test_the_api_follows_and_unfollows_incidents_and_services(
    responder: User, noor: User, shop: Service
) -> None:
    incident = declare_incident(actor=responder, title="Checkout fails")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(noor, name='tests')}")
    response = api.post(f"/api/v1/incidents/{incident.ref.lower()}/follow")
    assert response.status_code == 200
    assert response.json() == {"incident": incident.ref, "service": None, "following": True}
    assert is_following(noor, incident)
    response = api.delete(f"/api/v1/incidents/{incident.ref}/follow")
    assert response.json()["following"] is False
    assert not is_following(noor, incident)
    assert api.post("/api/v1/services/shop/follow").json() == {
        "incident": None,
        "service": "shop",
        "following": True,
    }
    assert is_following(noor, shop)
    missing = api.post("/api/v1/services/nope/follow")
    assert missing.status_code == 404
    assert "nope" in missing.json()["message"]


def test_the_service_button_follows_the_service(noor: User, shop: Service) -> None:
    response = signed_in(noor).post("/en/notifications/follow/services/shop/", {"follow": "1"})
    assert response.status_code == 302
    assert is_following(noor, shop)
    page = signed_in(noor).get("/en/notifications/").content.decode()
    assert "Service shop" in page
    assert 'action="/en/notifications/follow/services/shop/"' in page


def test_followers_hear_the_events_they_chose(responder: User, noor: User, shop: Service) -> None:
    lea = create_user("lea", email="lea@example.org", language="fr")
    follow(noor, shop)
    follow(lea, shop)
    incident = declare_incident(actor=responder, title="Checkout fails", services=["shop"])
    assert sorted(recipients(incident, "incident.declared")) == sorted([noor.pk, lea.pk])
    # Status changes are not among the defaults; resolution is.
    update_incident(incident, actor=responder, changes={"status": "resolved"})
    assert recipients(incident, "incident.status_changed") == []
    assert sorted(recipients(incident, "incident.resolved")) == sorted([noor.pk, lea.pk])
    update_notification_preferences(
        lea,
        digests_muted=False,
        reminders_muted=False,
        followed_events=["incident.status_changed", "not.an.event"],
    )
    assert NotificationPreference.objects.get(user=lea).followed_events == [
        "incident.status_changed"
    ]
    assert recipients(incident, "incident.resolved") == [noor.pk]
    assert recipients(incident, "incident.status_changed") == [lea.pk]


def test_a_follower_who_cannot_see_a_private_incident_hears_nothing_of_it(
    responder: User, noor: User, shop: Service
) -> None:
    lea = create_user("lea", email="lea@example.org")
    follow(noor, shop)
    follow(lea, shop)
    incident = declare_incident(actor=responder, title="Breach", services=["shop"], private=True)
    add_participant(incident, actor=responder, user=lea)
    assert recipients(incident, "incident.declared") == [lea.pk]


def test_the_preferences_page_saves_the_events_to_mail(noor: User) -> None:
    client = signed_in(noor)
    page = client.get("/en/notifications/").content.decode()
    # The defaults are ticked until the person chooses.
    assert re.search(r'value="incident.declared"[^>]*checked', page)
    assert not re.search(r'value="incident.closed"[^>]*checked', page)
    response = client.post(
        "/en/notifications/", {"followed_events": ["incident.resolved", "incident.closed"]}
    )
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=noor).followed_events == [
        "incident.resolved",
        "incident.closed",
    ]
    forged = client.post("/en/notifications/", {"followed_events": ["postmortem.overdue"]})
    assert forged.status_code == 400
    assert NotificationPreference.objects.get(user=noor).followed_events == [
        "incident.resolved",
        "incident.closed",
    ]

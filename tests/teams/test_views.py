"""The service catalog's pages: the list, a service, the forms, and the
panel on the incident page; in both languages, and never a private
incident its reader cannot see."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.http.response import HttpResponseBase
from django.test import Client

from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident, Service
from hotwash.teams.models import Team

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response: HttpResponseBase) -> str:
    return bytes(getattr(response, "content", b"")).decode()


# --- the list -------------------------------------------------------------------------


def test_the_list_shows_each_service_with_its_owners(
    responder_client: Client, payments: Service, storefront: Team
) -> None:
    Service.objects.create(name="search").teams.add(storefront)
    response = responder_client.get("/en/services/")
    assert response.status_code == 200
    page = text(response)
    assert "payments API" in page and "search" in page
    assert '<a href="/en/services/?team=platform">Platform</a>' in page
    assert 'href="/en/services/payments%20API/"' in page
    assert 'aria-current="page">Services</a>' in page  # in the navigation


def test_the_list_searches_and_filters_by_team(
    responder_client: Client, payments: Service, storefront: Team
) -> None:
    Service.objects.create(name="search", description="Product search").teams.add(storefront)
    by_team = text(responder_client.get("/en/services/?team=storefront"))
    assert "search" in by_team and "payments API" not in by_team
    by_text = text(responder_client.get("/en/services/?q=card"))
    assert "payments API" in by_text and ">search<" not in by_text
    unknown = responder_client.get("/en/services/?team=ghosts")
    assert unknown.status_code == 400
    assert "There is no team with the short name ghosts." in text(unknown)


def test_the_list_needs_a_sign_in(payments: Service) -> None:
    response = Client().get("/en/services/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- one service ---------------------------------------------------------------------


def test_a_service_shows_its_owners_contacts_and_runbooks(
    viewer: User, payments: Service, responder: User
) -> None:
    responder.email = "amira@example.org"
    responder.save()
    response = client_for(viewer).get("/en/services/payments%20API/")
    assert response.status_code == 200
    page = text(response)
    assert "Takes card payments." in page
    assert "Platform on-call" in page and "#payments" in page and "#platform" in page
    assert 'href="mailto:platform@example.org"' in page
    assert "amira@example.org" in page
    assert (
        '<a href="https://wiki.example.org/payments" rel="noopener noreferrer">Payments runbook</a>'
    ) in page
    assert "/services/payments%20API/edit/" not in page  # a viewer reads only


def test_a_service_lists_only_the_incidents_its_reader_can_see(
    responder: User, other_responder: User, admin_user: User, payments: Service
) -> None:
    open_one = incidents.declare_incident(
        actor=responder, title="Card payments slow", services=["payments API"]
    )
    secret = incidents.declare_incident(
        actor=responder,
        title="Fraud investigation",
        services=["payments API"],
        private=True,
    )
    outsider = text(client_for(other_responder).get("/en/services/payments%20API/"))
    assert open_one.ref in outsider
    assert secret.ref not in outsider and "Fraud investigation" not in outsider
    # Not counted either: the only incident count is of the rows shown.
    assert not re.search(r"\b2\b[^<]*incident", outsider)
    for insider in (responder, admin_user):
        page = text(client_for(insider).get("/en/services/payments%20API/"))
        assert secret.ref in page and "Fraud investigation" in page


def test_a_service_nobody_can_see_incidents_of_says_so(
    other_responder: User, responder: User, payments: Service
) -> None:
    incidents.declare_incident(
        actor=responder, title="Fraud investigation", services=["payments API"], private=True
    )
    page = text(client_for(other_responder).get("/en/services/payments%20API/"))
    assert "No incidents you can see." in page


def test_names_with_spaces_and_slashes_have_pages(responder_client: Client) -> None:
    Service.objects.create(name="eu/payments API")
    response = responder_client.get("/en/services/eu/payments%20API/")
    assert response.status_code == 200
    assert "<h1>eu/payments API</h1>" in text(response)
    assert responder_client.get("/en/services/eu/payments%20API/edit/").status_code == 200
    assert responder_client.get("/en/services/nothing-here/").status_code == 404


def test_a_stored_runbook_that_is_not_http_is_not_a_link(
    responder_client: Client, payments: Service
) -> None:
    # The admin edits the JSON directly, past the services' checks.
    Service.objects.filter(pk=payments.pk).update(
        runbooks=[{"title": "Evil", "url": "javascript:alert(1)"}]
    )
    page = text(responder_client.get("/en/services/payments%20API/"))
    assert "javascript:" not in page


def test_the_pages_are_in_french(responder: User, payments: Service) -> None:
    client = client_for(responder)
    assert "Procédures" in text(client.get("/fr/services/payments%20API/"))
    assert "Équipes responsables" in text(client.get("/fr/services/"))


# --- adding and changing -------------------------------------------------------------


def test_a_responder_adds_a_service_from_the_web(responder_client: Client, platform: Team) -> None:
    assert responder_client.get("/en/services/new/").status_code == 200
    response = responder_client.post(
        "/en/services/new/",
        {
            "name": "shop",
            "owners": ["platform"],
            "runbooks": "Restart the shop https://wiki.example.org/shop\n\n",
            "escalation_contact": "Amira",
            "public": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/services/shop/"
    shop = Service.objects.get(name="shop")
    assert shop.runbooks == [{"title": "Restart the shop", "url": "https://wiki.example.org/shop"}]
    assert shop.public is True
    assert list(shop.teams.all()) == [platform]


def test_a_viewer_cannot_open_the_forms(viewer: User, payments: Service) -> None:
    client = client_for(viewer)
    assert client.get("/en/services/new/").status_code == 403
    assert client.get("/en/services/payments%20API/edit/").status_code == 403
    assert client.post("/en/services/payments%20API/edit/", {"name": "x"}).status_code == 403
    assert Service.objects.filter(name="payments API").exists()


def test_only_the_owning_team_edits_an_owned_service(
    other_responder: User, payments: Service
) -> None:
    client = client_for(other_responder)
    assert client.get("/en/services/payments%20API/edit/").status_code == 403
    assert "/edit/" not in text(client.get("/en/services/payments%20API/"))


def test_the_edit_form_saves_and_redirects(responder_client: Client, payments: Service) -> None:
    form = text(responder_client.get("/en/services/payments%20API/edit/"))
    assert "Payments runbook https://wiki.example.org/payments" in form
    response = responder_client.post(
        "/en/services/payments%20API/edit/",
        {
            "name": "payments",
            "description": "Takes card payments.",
            "owners": ["platform"],
            "escalation_contact": "Platform on-call",
            "runbooks": "Payments runbook https://wiki.example.org/payments",
            "chat_channel": "#payments",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/services/payments/"
    assert Service.objects.get(pk=payments.pk).name == "payments"


def test_a_bad_runbook_shows_the_form_again_and_changes_nothing(
    responder_client: Client, payments: Service
) -> None:
    for runbooks, message in (
        ("Evil javascript:alert(1)", "is not an http or https address."),
        ("https://wiki.example.org/no-title", "Line 1: write the runbook&#x27;s title"),
    ):
        response = responder_client.post(
            "/en/services/payments%20API/edit/",
            {"name": "payments API", "description": "Changed", "runbooks": runbooks},
        )
        assert response.status_code == 422
        page = text(response)
        assert message in page
        assert 'class="error-summary"' in page
    payments.refresh_from_db()
    assert payments.description == "Takes card payments."
    assert not AuditRecord.objects.filter(action="service.updated").exists()


def test_an_unknown_owner_is_refused(responder_client: Client, payments: Service) -> None:
    response = responder_client.post("/en/services/new/", {"name": "shop", "owners": ["ghosts"]})
    assert response.status_code == 422
    assert not Service.objects.filter(name="shop").exists()


# --- the incident page ------------------------------------------------------------------


def test_the_incident_page_shows_the_owners_and_runbooks_of_its_services(
    responder_client: Client, responder: User, payments: Service
) -> None:
    incident: Incident = incidents.declare_incident(
        actor=responder, title="Card payments slow", services=["payments API", "search"]
    )
    page = text(responder_client.get(f"/en/incidents/{incident.ref}/"))
    assert 'id="service-owners"' in page
    assert '<a href="/en/services/payments%20API/">payments API</a>' in page
    assert '<a href="/en/services/?team=platform">Platform</a>' in page
    assert "Platform on-call" in page and "#payments" in page
    assert 'href="https://wiki.example.org/payments" rel="noopener noreferrer"' in page
    assert '<a href="/en/services/search/">search</a>' in page  # no owner yet: said so
    assert "no owner" in page


def test_an_incident_without_services_has_no_panel(
    responder_client: Client, incident: Incident
) -> None:
    page = text(responder_client.get(f"/en/incidents/{incident.ref}/"))
    assert 'id="service-owners"' not in page


# --- a service only private incidents have named -------------------------------------


def test_a_service_only_private_incidents_named_is_theirs_until_catalogued(
    responder: User, other_responder: User, admin_user: User
) -> None:
    incidents.declare_incident(
        actor=responder, title="Payroll leak", services=["payroll-export"], private=True
    )
    outsider = client_for(other_responder)
    assert "payroll-export" not in text(outsider.get("/en/services/"))
    assert outsider.get("/en/services/payroll-export/").status_code == 404
    for insider in (responder, admin_user):
        client = client_for(insider)
        assert "payroll-export" in text(client.get("/en/services/"))
        assert client.get("/en/services/payroll-export/").status_code == 200
    # Catalogued (here: an owner), it is an ordinary service; its incident
    # stays private.
    Team.objects.create(name="HR", slug="hr").services.add(
        Service.objects.get(name="payroll-export")
    )
    page = text(outsider.get("/en/services/payroll-export/"))
    assert "Payroll leak" not in page
    assert "No incidents you can see." in page

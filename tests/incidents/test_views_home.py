"""The home page: declaring an incident takes one field."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.incidents import services
from hotwash.incidents.models import Incident, TimelineEvent

pytestmark = pytest.mark.django_db


def test_it_declares_with_only_a_title(responder_client: Client, responder: User) -> None:
    response = responder_client.post("/en/", {"title": "Exports are empty"})
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/en/incidents/{incident.ref}/"
    assert incident.title == "Exports are empty"
    assert incident.created_by == responder
    page = responder_client.get(response["Location"])
    assert f"{incident.ref} declared." in page.content.decode()


def test_it_declares_with_the_optional_details(responder_client: Client) -> None:
    responder_client.post(
        "/en/",
        {
            "title": "Leaked key",
            "severity": "1",
            "private": "on",
            "services": "shop, payments, shop",
            "detection_source": "customer",
        },
    )
    incident = Incident.objects.get()
    assert (incident.severity, incident.private, incident.detection_source) == (
        1,
        True,
        "customer",
    )
    assert sorted(incident.services.values_list("name", flat=True)) == ["payments", "shop"]


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_a_bad_title_shows_an_error_and_writes_nothing(
    responder_client: Client, title: str
) -> None:
    response = responder_client.post("/en/", {"title": title, "severity": "2"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "There is a problem" in html
    assert 'href="#declare_title"' in html  # the error summary links to the field
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="declare_title_helptext declare_title_error"' in html
    assert 'id="declare_title_error"' in html
    assert "<title>Error:" in html
    assert not Incident.objects.exists()
    assert not TimelineEvent.objects.exists()


def test_an_unknown_severity_is_reported_on_the_severity_field(responder_client: Client) -> None:
    response = responder_client.post("/en/", {"title": "x", "severity": "9"})
    assert response.status_code == 422
    assert 'id="declare_severity_error"' in response.content.decode()
    assert not Incident.objects.exists()


def test_each_severity_shows_its_definition(responder_client: Client) -> None:
    html = responder_client.get("/en/").content.decode()
    assert "A core service is down or data is being lost for many users." in html
    assert "No user impact yet: a near miss" in html
    assert html.count('name="severity"') == 4


def test_viewers_see_no_declare_form_and_cannot_post(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    page = client.get("/en/")
    assert page.status_code == 200
    assert "<form" not in page.content.decode().split('id="main"')[1]
    assert client.post("/en/", {"title": "x"}).status_code == 403
    assert not Incident.objects.exists()


def test_it_lists_open_incidents_the_viewer_may_see(
    responder_client: Client, responder: User, other_responder: User
) -> None:
    services.declare_incident(actor=responder, title="Search is slow")
    done = services.declare_incident(actor=responder, title="Old outage")
    services.set_status(done, actor=responder, status="resolved")
    services.declare_incident(actor=other_responder, title="Secret matter", private=True)
    html = responder_client.get("/en/").content.decode()
    assert "Search is slow" in html
    assert "Old outage" not in html
    assert "Secret matter" not in html


@pytest.mark.parametrize(
    "url",
    [
        "/en/",
        "/en/incidents/",
        "/en/incidents/INC-1/",
        "/en/incidents/INC-1/catchup/",
        "/en/accounts/preferences/",
    ],
)
def test_signed_out_visitors_are_sent_to_sign_in(db: None, url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/en/accounts/login/?next={url}")


def test_signed_out_posts_change_nothing(db: None) -> None:
    response = Client().post("/en/", {"title": "x"})
    assert response.status_code == 302
    assert not Incident.objects.exists()


def test_the_sign_in_page_signs_in(responder: User) -> None:
    client = Client()
    page = client.get("/en/accounts/login/")
    assert page.status_code == 200
    assert '<label for="id_username">' in page.content.decode()
    response = client.post(
        "/en/accounts/login/", {"username": "amira", "password": "correct horse 42", "next": "/en/"}
    )
    assert response.status_code == 302 and response["Location"] == "/en/"
    wrong = Client().post("/en/accounts/login/", {"username": "amira", "password": "nope"})
    assert wrong.status_code == 200
    assert "There is a problem" in wrong.content.decode()


def test_french_pages_render_in_french(responder_client: Client) -> None:
    response = responder_client.get("/fr/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    # The switch offers English, pointing at this same page in English.
    assert 'name="next" value="/en/"' in html
    assert 'lang="en"' in html


def test_every_page_has_a_language_switch_to_the_same_page(responder_client: Client) -> None:
    html = responder_client.get("/en/incidents/?status=open").content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert 'name="next" value="/fr/incidents/?status=open"' in html
    response = responder_client.post(
        "/i18n/setlang/", {"language": "fr", "next": "/fr/incidents/?status=open"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/fr/incidents/?status=open"


def test_logging_out_is_a_post(responder_client: Client) -> None:
    html = responder_client.get("/en/").content.decode()
    assert 'method="post" action="/en/accounts/logout/"' in html
    response = responder_client.post("/en/accounts/logout/")
    assert response.status_code == 302
    assert responder_client.get("/en/").status_code == 302

"""The status page, public and internal: what it shows, to whom, in which
language; and that nothing from a private incident ever appears."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hotwash.incidents.models import Service
from hotwash.incidents.services import set_status, update_incident
from hotwash.statuspage.models import Maintenance
from hotwash.statuspage.pages import render_and_store
from tests.statuspage.status_helpers import incident, public_service, publish

pytestmark = pytest.mark.django_db


def page(path: str = "/en/status/") -> str:
    render_and_store()
    response = Client().get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def checkout(db: None) -> Service:
    return public_service("checkout", "Online checkout")


def test_an_empty_page_lists_the_public_services_only(checkout: Service) -> None:
    Service.objects.create(name="ledger-db", public=False)
    html = page()
    assert "Online checkout" in html
    assert "ledger-db" not in html
    assert "All services are operating normally." in html
    assert "No current incidents." in html
    assert 'lang="en"' in html


@pytest.mark.parametrize(("language", "label"), [("en", "Sign in"), ("fr", "Se connecter")])
def test_the_page_links_to_sign_in_for_the_internal_page(
    checkout: Service, responder: User, language: str, label: str
) -> None:
    html = page(f"/{language}/status/")
    link = f"/{language}/accounts/login/?next=/{language}/status/internal/"
    assert f'<a class="site-header__sign-in" href="{link}">{label}</a>' in html
    client = Client()
    client.force_login(responder)
    assert client.get(link).headers["Location"] == f"/{language}/status/internal/"


def test_an_incident_appears_only_once_it_has_a_public_update(
    responder: User, checkout: Service
) -> None:
    inc = incident(responder, "Primary DB OOM on db-7", ["checkout"])
    publish(inc, "Internal: db-7 is swapping", audience="internal")
    html = page()
    assert "Internal: db-7 is swapping" not in html
    assert "All services are operating normally." in html
    publish(inc, "Payments are failing for some customers.", "Des paiements échouent.")
    html = page()
    assert "Payments are failing for some customers." in html
    assert "Internal: db-7 is swapping" not in html
    # The incident's own title is internal: the public reads the services.
    assert "Primary DB OOM" not in html
    assert "Some services are unavailable." in html
    assert 'class="state state--outage">Outage<' in html


def test_each_language_reads_its_own_text(responder: User, checkout: Service) -> None:
    inc = incident(responder, "Checkout errors", ["checkout"])
    publish(inc, "Payments are failing.", "Des paiements échouent.")
    english = page("/en/status/")
    french = page("/fr/status/")
    assert "Payments are failing." in english and "Des paiements échouent." not in english
    assert "Des paiements échouent." in french and "Payments are failing." not in french
    assert 'lang="fr"' in french
    assert "Panne" in french  # the state, translated
    # Each page links to the other language.
    assert 'href="/fr/status/"' in english
    assert 'href="/en/status/"' in french


def test_updates_read_newest_first(responder: User, checkout: Service) -> None:
    inc = incident(responder, "Checkout errors", ["checkout"])
    now = timezone.now()
    publish(inc, "First we looked.", now=now - timedelta(minutes=20))
    publish(inc, "Then we found it.", status="identified", now=now - timedelta(minutes=10))
    html = page()
    assert html.index("Then we found it.") < html.index("First we looked.")


def test_severity_decides_degraded_or_outage(responder: User, checkout: Service) -> None:
    inc = incident(responder, "Slow checkout", ["checkout"], severity=3)
    publish(inc, "Checkout is slow.")
    assert 'class="state state--degraded">Degraded performance<' in page()


def test_a_private_incident_never_appears(responder: User, checkout: Service) -> None:
    inc = incident(responder, "Breach", ["checkout"], private=True)
    publish(inc, "We are looking into a security matter.", "Sécurité.")
    for path in ("/en/status/", "/fr/status/"):
        html = page(path)
        assert "security matter" not in html and "Sécurité." not in html
        assert "All services are operating normally." in html or "Tous" in html


def test_made_private_later_it_disappears_at_once(
    responder: User,
    checkout: Service,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        inc = incident(responder, "Checkout errors", ["checkout"])
        publish(inc, "Payments are failing.")
    assert "Payments are failing." in Client().get("/en/status/").content.decode()
    # The change itself renders the page again (no explicit render here).
    with django_capture_on_commit_callbacks(execute=True):
        update_incident(inc, actor=responder, changes={"private": True})
    html = Client().get("/en/status/").content.decode()
    assert "Payments are failing." not in html
    assert "All services are operating normally." in html


def test_a_publicly_resolved_incident_moves_to_the_history(
    responder: User, checkout: Service
) -> None:
    inc = incident(responder, "Checkout errors", ["checkout"])
    publish(inc, "Payments are failing.")
    publish(inc, "Fixed: payments work again.", status="resolved")
    html = page()
    assert "No current incidents." in html
    assert "All services are operating normally." in html
    history = html[html.index("Past incidents (last 90 days)") :]
    assert "Fixed: payments work again." in history
    # Resolving the incident itself keeps it in the history.
    set_status(inc, actor=responder, status="resolved")
    assert "Fixed: payments work again." in page()


def test_history_keeps_90_days(responder: User, checkout: Service) -> None:
    inc = incident(responder, "Old", ["checkout"])
    publish(inc, "Long ago.", status="resolved", now=timezone.now() - timedelta(days=91))
    set_status(inc, actor=responder, status="resolved")
    assert "Long ago." not in page()


def test_maintenance_in_progress_and_upcoming(checkout: Service) -> None:
    now = timezone.now()
    running = Maintenance.objects.create(
        title_en="Database upgrade",
        title_fr="Mise à niveau de la base",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
    )
    running.services.add(checkout)
    Maintenance.objects.create(
        title_en="Network work",
        title_fr="Travaux réseau",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=1),
    )
    Maintenance.objects.create(
        title_en="Finished work",
        title_fr="Travaux finis",
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=1),
    )
    html = page()
    assert "Database upgrade" in html and "Network work" in html
    assert "Finished work" not in html
    assert 'class="state state--maintenance">Under maintenance<' in html
    assert "Maintenance is in progress." in html
    french = page("/fr/status/")
    assert "Mise à niveau de la base" in french and "Travaux réseau" in french


def test_the_page_works_without_javascript_and_on_a_phone(checkout: Service) -> None:
    html = page()
    assert "<script" not in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    # The subscription form is a plain form with labelled fields.
    assert 'action="/en/status/subscribe/"' in html
    for field in ("email", "language", "service"):
        assert f'for="subscribe_{field}"' in html


def test_the_internal_page_needs_a_sign_in(responder: User, checkout: Service) -> None:
    response = Client().get("/en/status/internal/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_internal_page_adds_internal_updates_and_services(
    viewer: User, responder: User, checkout: Service
) -> None:
    Service.objects.create(name="ledger-db", public=False)
    inc = incident(responder, "Primary DB OOM", ["checkout", "ledger-db"])
    publish(inc, "Internal: db-7 is swapping", audience="internal")
    publish(inc, "Payments are failing.")
    secret = incident(responder, "Secret thing", ["checkout"], private=True)
    publish(secret, "Hush.", audience="internal")
    client = Client()
    client.force_login(viewer)
    html = client.get("/en/status/internal/").content.decode()
    assert "Internal: db-7 is swapping" in html
    assert "Payments are failing." in html
    assert "ledger-db" in html
    assert "Primary DB OOM" in html
    assert "Hush." not in html and "Secret thing" not in html
    french = client.get("/fr/status/internal/").content.decode()
    assert "état interne" in french


def test_saving_maintenance_or_a_service_renders_the_page_again(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        service = public_service("checkout", "Online checkout")
    assert "Online checkout" in Client().get("/en/status/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        window = Maintenance.objects.create(
            title_en="Database upgrade",
            title_fr="Mise à niveau",
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
        )
        window.services.add(service)
    assert "Database upgrade" in Client().get("/en/status/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        service.public_name = "Checkout"
        service.public = False
        service.save()
    html = Client().get("/en/status/").content.decode()
    assert "Online checkout" not in html
    assert "No service is listed on the status page yet." in html


def test_the_admin_lists_maintenance_and_subscribers(admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    for path in ("maintenance", "statussubscriber"):
        assert client.get(f"/en/admin/statuspage/{path}/").status_code == 200
    assert client.get("/en/admin/statuspage/maintenance/add/").status_code == 200


def test_the_periodic_render_catches_what_changes_with_the_clock(checkout: Service) -> None:
    from hotwash.jobs.schedule import registered_jobs
    from hotwash.statuspage.jobs import render_status_page

    assert "statuspage.render" in {job.name for job in registered_jobs()}
    now = timezone.now()
    window = Maintenance.objects.create(
        title_en="Database upgrade",
        title_fr="Mise à niveau",
        starts_at=now + timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
    )
    window.services.add(checkout)
    render_and_store()
    assert "All services are operating normally." in Client().get("/en/status/").content.decode()
    with time_machine.travel(now + timedelta(minutes=6), tick=False):
        render_status_page(timezone.now())
    html = Client().get("/en/status/").content.decode()
    assert 'class="state state--maintenance">Under maintenance<' in html
    # Nothing changed since: a render writes nothing.
    with time_machine.travel(now + timedelta(minutes=7), tick=False):
        assert render_and_store() == 0

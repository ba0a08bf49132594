"""The catch-up page: where things stand, for someone joining now."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from hotwash.incidents import services

pytestmark = pytest.mark.django_db


def test_it_tells_a_latecomer_where_things_stand(
    responder: User, other_responder: User, responder_client: Client
) -> None:
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
        done = services.add_task(incident, actor=responder, title="Page the DBA")
        services.complete_task(done, actor=responder)
        clock.shift(60 * 21)
        response = responder_client.get(f"/en/incidents/{incident.ref}/catchup/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Investigating" in html and "for 28 min" in html
    assert "SEV2" in html and "A user-visible feature is broken" in html
    assert "Going on for 28 min, since 2026-11-26 03:12:00 UTC." in html
    assert "Checkout fails for all users" in html
    assert "<dt>Incident commander</dt>\n          <dd>Amira</dd>" in html
    assert html.count(">vacant<") == 3
    key_moments = html.split('id="key-moments-heading"')[1].split('id="latest-heading"')[0]
    assert "Rolled back 4.2" in key_moments and "Incident declared: Shop down" in key_moments
    latest = html.split('id="latest-heading"')[1].split('id="catchup-tasks-heading"')[0]
    assert [f"update {n}" in latest for n in range(7)] == [False] * 3 + [True] * 4
    assert "Rolled back 4.2" in latest
    tasks = html.split('id="catchup-tasks-heading"')[1]
    assert "Check replica lag" in tasks and "for Sam" in tasks
    assert "Page the DBA" not in tasks


def test_the_incident_page_links_to_it(responder: User, responder_client: Client) -> None:
    incident = services.declare_incident(actor=responder, title="x")
    html = responder_client.get(f"/en/incidents/{incident.ref}/").content.decode()
    assert f'href="/en/incidents/{incident.ref}/catchup/">Just joined? Catch up</a>' in html


def test_it_follows_the_live_update_contract(responder: User, responder_client: Client) -> None:
    incident = services.declare_incident(actor=responder, title="x")
    html = responder_client.get(f"/en/incidents/{incident.ref}/catchup/").content.decode()
    assert f'data-live-events="/live/incidents/{incident.pk}/events"' in html
    assert 'src="/static/hotwash/live.js"' in html
    assert html.count('data-live-region="catchup"') == 1


def test_viewers_can_catch_up(responder: User, viewer: User) -> None:
    incident = services.declare_incident(actor=responder, title="Shop down")
    client = Client()
    client.force_login(viewer)
    assert "Shop down" in client.get(f"/en/incidents/{incident.ref}/catchup/").content.decode()


def test_a_private_incident_has_no_catch_up_for_outsiders(
    responder: User, other_responder: User, admin_user: User
) -> None:
    secret = services.declare_incident(actor=responder, title="Leaked key", private=True)
    outsider, admin = Client(), Client()
    outsider.force_login(other_responder)
    admin.force_login(admin_user)
    assert outsider.get(f"/en/incidents/{secret.ref}/catchup/").status_code == 404
    assert admin.get(f"/en/incidents/{secret.ref}/catchup/").status_code == 200


def test_it_renders_in_french(responder: User, responder_client: Client) -> None:
    incident = services.declare_incident(actor=responder, title="Boutique en panne", severity=1)
    response = responder_client.get(f"/fr/incidents/{incident.ref}/catchup/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    # Severity definitions come from the policy file, in French.
    assert "Critique" in html

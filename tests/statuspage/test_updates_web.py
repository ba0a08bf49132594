"""The "Stakeholder updates" panel of the incident page and its form."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.incidents.models import Incident
from hotwash.incidents.services import declare_incident
from hotwash.statuspage.models import StakeholderUpdate
from hotwash.statuspage.services import publish_update

pytestmark = pytest.mark.django_db

BOTH = {
    "en": "Checkout is slow; we are on it.",
    "fr": "Le paiement est lent ; nous nous en occupons.",
}


def page(client: Client, incident: Incident, query: str = "", language: str = "en") -> str:
    answer = client.get(f"/{language}/incidents/{incident.ref}/{query}")
    assert answer.status_code == 200
    return answer.content.decode()


def publish_url(incident: Incident) -> str:
    return f"/en/incidents/{incident.ref}/updates/"


def test_the_panel_lists_updates_in_both_languages(
    responder_client: Client, incident: Incident, responder: User
) -> None:
    publish_update(incident, actor=responder, audience="public", status="identified", text=BOTH)
    html = page(responder_client, incident)
    panel = html[html.index('id="stakeholder-updates"') :]
    assert "Stakeholder updates" in panel
    assert BOTH["en"] in panel
    assert "Le paiement est lent ; nous nous en occupons." in panel
    assert "Public" in panel and "Identified" in panel
    assert 'lang="fr"' in panel
    # The panel comes first in the layout.
    assert html.index('class="incident-layout"') < html.index('id="stakeholder-updates"')
    assert html.index('id="stakeholder-updates"') < html.index('id="roles"')


def test_the_form_is_pre_filled_from_the_chosen_status(
    responder_client: Client, responder: User
) -> None:
    incident = declare_incident(actor=responder, title="Shop down", severity=1, services=["shop"])
    html = page(responder_client, incident)
    assert "We are investigating reports of problems with shop. Next update within 30 min." in html
    html = page(responder_client, incident, "?update_status=monitoring")
    assert "A fix for the problems with shop is in place" in html
    assert re.search(r'<option value="monitoring" selected>', html)
    french = page(responder_client, incident, "?update_status=resolved", language="fr")
    assert "Les problèmes touchant shop sont résolus." in french
    assert "Mises à jour des parties prenantes" in french


def test_a_viewer_sees_the_updates_but_no_form(
    incident: Incident, responder: User, viewer: User
) -> None:
    publish_update(incident, actor=responder, audience="internal", status="identified", text=BOTH)
    client = Client()
    client.force_login(viewer)
    html = page(client, incident)
    assert BOTH["en"] in html
    assert "Publish the update" not in html
    answer = client.post(
        publish_url(incident),
        {"audience": "internal", "status": "identified", "text_en": "x", "text_fr": "y"},
    )
    assert answer.status_code == 403
    assert StakeholderUpdate.objects.count() == 1


def test_publishing_from_the_form_goes_back_to_the_panel(
    responder_client: Client, incident: Incident
) -> None:
    answer = responder_client.post(
        publish_url(incident),
        {
            "audience": "public",
            "status": "identified",
            "text_en": BOTH["en"],
            "text_fr": BOTH["fr"],
        },
    )
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"/en/incidents/{incident.ref}/#stakeholder-updates")
    update = StakeholderUpdate.objects.get()
    assert (update.audience, update.text_fr) == ("public", BOTH["fr"])


def test_a_missing_language_is_shown_next_to_its_field(
    responder_client: Client, incident: Incident
) -> None:
    answer = responder_client.post(
        publish_url(incident),
        {"audience": "public", "status": "identified", "text_en": BOTH["en"], "text_fr": ""},
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert 'id="update_text_fr_error"' in html
    error = html[html.index('id="update_text_fr_error"') :]
    assert "French text is missing" in error[:400]
    assert BOTH["en"] in html  # what was typed is kept
    assert not StakeholderUpdate.objects.exists()


def test_findings_are_shown_before_publishing_and_can_be_overridden(
    responder_client: Client, incident: Incident
) -> None:
    sent = {
        "audience": "internal",
        "status": "identified",
        "text_en": "The outage was caused by human error.",
        "text_fr": "",
    }
    answer = responder_client.post(publish_url(incident), sent)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Blameless-language check" in html
    assert '<mark lang="en">human error</mark>' in html
    assert "Publish anyway" in html
    assert not StakeholderUpdate.objects.exists()
    answer = responder_client.post(publish_url(incident), {**sent, "publish_anyway": "1"})
    assert answer.status_code == 302
    assert StakeholderUpdate.objects.count() == 1


def test_a_private_incident_is_404_to_others(responder: User, other_responder: User) -> None:
    secret = declare_incident(actor=responder, title="Leaked keys", private=True)
    client = Client()
    client.force_login(other_responder)
    answer = client.post(
        publish_url(secret),
        {"audience": "internal", "status": "identified", "text_en": "x"},
    )
    assert answer.status_code == 404


def test_a_private_incident_offers_only_internal_updates(
    responder_client: Client, responder: User
) -> None:
    secret = declare_incident(actor=responder, title="Leaked keys", private=True)
    html = page(responder_client, secret)
    assert 'value="internal"' in html
    assert 'name="audience" value="public"' not in html
    assert "This incident is private: its updates are internal." in html

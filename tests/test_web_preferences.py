"""Preferences: each person's time zone and language."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from hotwash.accounts.models import Profile
from hotwash.core.models import AuditRecord
from hotwash.incidents import services

pytestmark = pytest.mark.django_db


def test_it_shows_the_current_choices(responder_client: Client) -> None:
    html = responder_client.get("/en/accounts/preferences/").content.decode()
    assert '<option value="UTC" selected>' in html
    assert '<option value="Europe/Paris">Europe/Paris</option>' in html
    assert 'value="en" id="prefs_language_0" checked' in html or (
        'id="prefs_language_0" checked' in html
    )


def test_changing_the_time_zone_changes_the_times_shown(
    responder: Any, responder_client: Client
) -> None:
    incident = services.declare_incident(actor=responder, title="Shop down")
    assert "UTC" in responder_client.get(f"/en/incidents/{incident.ref}/").content.decode()
    response = responder_client.post(
        "/en/accounts/preferences/", {"timezone": "Asia/Tokyo", "language": "en"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/preferences/"
    assert Profile.objects.get(user=responder).timezone == "Asia/Tokyo"
    html = responder_client.get(f"/en/incidents/{incident.ref}/").content.decode()
    assert " JST" in html
    assert "Times are shown in Asia/Tokyo." in html
    assert AuditRecord.objects.filter(action="profile.preferences_changed").exists()


def test_changing_the_language_moves_to_that_language(
    responder: Any, responder_client: Client
) -> None:
    response = responder_client.post(
        "/en/accounts/preferences/", {"timezone": "UTC", "language": "fr"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/fr/accounts/preferences/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert Profile.objects.get(user=responder).language == "fr"
    page = responder_client.get(response["Location"])
    assert '<html lang="fr">' in page.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"timezone": "Mars/Olympus", "language": "en"}, "timezone"),
        ({"timezone": "UTC", "language": "tlh"}, "language"),
    ],
)
def test_a_bad_choice_is_an_error_and_saves_nothing(
    responder: Any, responder_client: Client, data: dict[str, str], field: str
) -> None:
    response = responder_client.post("/en/accounts/preferences/", data)
    assert response.status_code == 422
    assert f'id="prefs_{field}_error"' in response.content.decode()
    profile = Profile.objects.get(user=responder)
    assert (profile.timezone, profile.language) == ("UTC", "en")
    assert not AuditRecord.objects.filter(action="profile.preferences_changed").exists()


def test_viewers_have_preferences_too(viewer: Any) -> None:
    client = Client()
    client.force_login(viewer)
    response = client.post(
        "/en/accounts/preferences/", {"timezone": "Europe/Paris", "language": "en"}
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=viewer).timezone == "Europe/Paris"

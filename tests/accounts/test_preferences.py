"""Preferences: each person's time zone and language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.models import ApiToken, Profile
from hotwash.accounts.services import create_api_token, revoke_api_token
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
    responder: User, responder_client: Client
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
    responder: User, responder_client: Client
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
    responder: User, responder_client: Client, data: dict[str, str], field: str
) -> None:
    response = responder_client.post("/en/accounts/preferences/", data)
    assert response.status_code == 422
    assert f'id="prefs_{field}_error"' in response.content.decode()
    profile = Profile.objects.get(user=responder)
    assert (profile.timezone, profile.language) == ("UTC", "en")
    assert not AuditRecord.objects.filter(action="profile.preferences_changed").exists()


def test_viewers_have_preferences_too(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    response = client.post(
        "/en/accounts/preferences/", {"timezone": "Europe/Paris", "language": "en"}
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=viewer).timezone == "Europe/Paris"


# --- API tokens ----------------------------------------------------------------------


def _token_client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_it_lists_the_persons_own_tokens(responder: User, other_responder: User) -> None:
    with time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), tick=False):
        laptop = create_api_token(responder, name="laptop")
        create_api_token(responder, name="ci job", expires_at=datetime(2027, 1, 1, tzinfo=UTC))
        create_api_token(other_responder, name="sams token")
        revoked = create_api_token(responder, name="old one")
        revoke_api_token(ApiToken.objects.get(name="old one"), actor=responder)
        _token_client(laptop).get("/api/v1/me")
        client = Client()
        client.force_login(responder)
        html = client.get("/en/accounts/preferences/").content.decode()
    assert "laptop" in html and "ci job" in html
    assert laptop[:10] in html
    assert laptop not in html  # only the prefix is ever shown
    assert "sams token" not in html
    assert "old one" not in html and revoked[:10] not in html
    assert "2026-11-26 09:00:00 UTC" in html  # created, last used
    assert "2027-01-01 00:00:00 UTC" in html  # expires
    assert "Never" in html  # the laptop token does not expire
    assert html.count('name="csrfmiddlewaretoken"') >= 3
    assert html.count(">Revoke<") == 2


def test_revoking_a_token_stops_it_and_is_audited(responder: User) -> None:
    token = create_api_token(responder, name="laptop")
    api_token = ApiToken.objects.get(user=responder)
    assert _token_client(token).get("/api/v1/me").status_code == 200
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    page = client.get("/en/accounts/preferences/")
    response = client.post(
        f"/en/accounts/preferences/tokens/{api_token.pk}/revoke/",
        {"csrfmiddlewaretoken": page.context["csrf_token"]},
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/preferences/"
    assert _token_client(token).get("/api/v1/me").status_code == 401
    record = AuditRecord.objects.get(action="api_token.revoked")
    assert record.actor == responder
    assert record.object_id == str(api_token.pk)
    after = client.get(response["Location"]).content.decode()
    assert "laptop" in after and "revoked" in after  # the confirmation message
    assert ">Revoke<" not in after


def test_revoking_needs_the_csrf_token(responder: User) -> None:
    token = create_api_token(responder)
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    pk = ApiToken.objects.get(user=responder).pk
    response = client.post(f"/en/accounts/preferences/tokens/{pk}/revoke/")
    assert response.status_code == 403
    assert _token_client(token).get("/api/v1/me").status_code == 200


def test_nobody_revokes_someone_elses_token(responder: User, other_responder: User) -> None:
    token = create_api_token(other_responder)
    pk = ApiToken.objects.get(user=other_responder).pk
    client = Client()
    client.force_login(responder)
    assert client.post(f"/en/accounts/preferences/tokens/{pk}/revoke/").status_code == 404
    assert client.post("/en/accounts/preferences/tokens/999999/revoke/").status_code == 404
    assert client.get(f"/en/accounts/preferences/tokens/{pk}/revoke/").status_code == 405
    assert Client().post(f"/en/accounts/preferences/tokens/{pk}/revoke/").status_code == 302
    assert _token_client(token).get("/api/v1/me").status_code == 200
    assert not AuditRecord.objects.filter(action="api_token.revoked").exists()

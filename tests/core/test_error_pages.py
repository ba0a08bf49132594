"""Hotwash's own error pages, whatever DEBUG says: Django's debug pages print
settings, environment variables and the locals of every frame (passwords in
DATABASE_URL or HOTWASH_SMTP_URL included), so nobody but an admin, and only
with HOTWASH_DEBUG=1, ever sees one.

The served counterpart (a real `hotwash serve`, debug left at its default)
is in tests/core/test_serve.py.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.template.loader import get_template
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from pytest_django import DjangoDbBlocker, Settings

from hotwash.core.views import server_error
from tests.support.error_urls import SECRET_IN_FRAME

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.support.error_urls")]

SETTINGS_CANARY = "postgres://hotwash:settings-canary-4242@db.internal:5432/hotwash"
SERVER_ERROR_HEADING = "Something went wrong on our side"
NOT_FOUND_HEADING = "Not found"


@pytest.fixture(autouse=True)
def _a_secret_in_the_settings(settings: Settings) -> None:
    settings.DATABASE_URL = SETTINGS_CANARY


def in_language(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def client_for(user: User | None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def assert_no_debug_output(body: str) -> None:
    for leak in (SETTINGS_CANARY, "settings-canary", SECRET_IN_FRAME, "Traceback", "DEBUG = True"):
        assert leak not in body, leak


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_crash_shows_hotwashs_own_page_to_a_viewer(
    settings: Settings, viewer: User, debug: bool, language: str
) -> None:
    settings.DEBUG = debug
    response = client_for(viewer).get(f"/{language}/crash/")
    body = response.content.decode()
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert in_language(language, SERVER_ERROR_HEADING) in body
    assert f'<html lang="{language}">' in body
    assert_no_debug_output(body)


def test_the_french_page_really_is_french() -> None:
    assert in_language("fr", SERVER_ERROR_HEADING) != SERVER_ERROR_HEADING


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_crash_shows_hotwashs_own_page_to_someone_signed_out(
    settings: Settings, debug: bool
) -> None:
    settings.DEBUG = debug
    response = client_for(None).get("/en/crash/")
    assert response.status_code == 500
    assert SERVER_ERROR_HEADING in response.content.decode()
    assert_no_debug_output(response.content.decode())


def test_a_responder_does_not_see_the_debug_page_either(
    settings: Settings, responder: User
) -> None:
    settings.DEBUG = True
    response = client_for(responder).get("/en/crash/")
    assert response.status_code == 500
    assert SERVER_ERROR_HEADING in response.content.decode()
    assert_no_debug_output(response.content.decode())


def test_a_client_asking_for_text_gets_no_traceback_either(
    settings: Settings, viewer: User
) -> None:
    settings.DEBUG = True
    response = client_for(viewer).get("/en/crash/", headers={"Accept": "text/plain"})
    assert response.status_code == 500
    assert_no_debug_output(response.content.decode())


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_suspicious_request_gets_a_plain_400_without_debug_output(
    settings: Settings, viewer: User, debug: bool
) -> None:
    settings.DEBUG = debug
    response = client_for(viewer).get("/en/suspicious/")
    assert response.status_code == 400
    assert_no_debug_output(response.content.decode())


def test_an_admin_sees_djangos_debug_page_only_when_debug_is_on(
    settings: Settings, admin_user: User
) -> None:
    settings.DEBUG = True
    response = client_for(admin_user).get("/en/crash/")
    assert response.status_code == 500
    assert "Traceback" in response.content.decode()

    settings.DEBUG = False
    response = client_for(admin_user).get("/en/crash/")
    assert response.status_code == 500
    assert SERVER_ERROR_HEADING in response.content.decode()
    assert_no_debug_output(response.content.decode())


def test_an_api_crash_answers_json(viewer: User) -> None:
    response = client_for(viewer).get("/api/v1/crash")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["message"]
    assert_no_debug_output(response.content.decode())


@pytest.mark.parametrize("accept", ["*/*", "application/json"])
def test_an_api_crash_with_debug_on_shows_no_debug_output(
    settings: Settings, viewer: User, accept: str
) -> None:
    settings.DEBUG = True
    response = client_for(viewer).get("/api/v1/crash", headers={"Accept": accept})
    assert response.status_code == 500
    assert_no_debug_output(response.content.decode())


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize(
    "path", ["/fr/no-such-page/", "/fr/incidents/INC-99999/"], ids=["no-route", "no-incident"]
)
def test_not_found_is_hotwashs_own_translated_page(
    settings: Settings, viewer: User, debug: bool, path: str
) -> None:
    settings.DEBUG = debug
    response = client_for(viewer).get(path)
    body = response.content.decode()
    assert response.status_code == 404
    assert in_language("fr", NOT_FOUND_HEADING) in body
    assert "Django tried these URL patterns" not in body
    assert "DEBUG = True" not in body


def test_an_admin_sees_djangos_not_found_page_when_debug_is_on(
    settings: Settings, admin_user: User
) -> None:
    settings.DEBUG = True
    response = client_for(admin_user).get("/en/no-such-page/")
    assert response.status_code == 404
    assert "DEBUG = True" in response.content.decode()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_server_error_page_renders_without_a_request_or_a_database(
    language: str, django_db_blocker: DjangoDbBlocker
) -> None:
    with django_db_blocker.block(), translation.override(language):
        response = server_error(None)
    body = response.content.decode()
    assert response.status_code == 500
    assert in_language(language, SERVER_ERROR_HEADING) in body


def test_the_server_error_page_stands_alone() -> None:
    """Its own layout, without base.html: the stylesheet and the language."""
    with translation.override("fr"):
        html = get_template("500.html").render()
    assert '<html lang="fr">' in html
    assert 'href="/static/hotwash/app.css"' in html
